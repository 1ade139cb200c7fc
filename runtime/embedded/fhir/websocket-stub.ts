/**
 * @medplum/core 5.x references `WebSocket` when its module is evaluated, and Node 20 has no global
 * WebSocket (field notes: "WebSocket is not defined"). The embedded server never opens one, so a
 * stub that throws on use is enough. Import this module before anything from `@medplum/*`:
 * ESM evaluates a module's imports in order, so the stub is in place first.
 */
const g = globalThis as { WebSocket?: unknown };
if (typeof g.WebSocket === "undefined") {
  g.WebSocket = class WebSocketUnavailable {
    constructor() {
      throw new Error("WebSocket is not available in the embedded FHIR server (Node 20)");
    }
  };
}
export {};
