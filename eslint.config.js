// @ts-check
// ESLint flat config (style.md §2): type-aware typescript-eslint, no console in library code, type-only
// imports, no floating promises, and the layer rules of test/architecture.test.ts shown in the editor.
import { readdirSync } from "node:fs";
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

/**
 * Which top-level layers each layer may import. Keep in step with ALLOWED in test/architecture.test.ts,
 * which checks the same rules from source (an eslint-disable cannot weaken it).
 * `agents` means every `agents/<id>`; an agent never imports another agent.
 */
const ALLOWED = {
  protocol: [],
  clinical: ["protocol"],
  runtime: ["protocol"],
  agents: ["runtime", "clinical", "protocol"],
  inspector: ["runtime", "protocol"],
  cli: ["protocol", "runtime", "clinical", "agents", "inspector", "examples"],
};

/**
 * The entries through which another layer may import a layer (paths from the repo root, `.js` as
 * written in imports). Keep in step with ENTRIES in test/architecture.test.ts.
 */
const ENTRIES = {
  protocol: ["protocol/index.js"],
  clinical: ["clinical/index.js"],
  runtime: [
    "runtime/index.js",
    // Separate entries so that agent processes do not load the MCP SDK or Medplum (start-up time);
    // see the header of each file.
    "runtime/mcp/index.js",
    "runtime/embedded/fhir/index.js",
  ],
  inspector: ["inspector/index.js"],
  examples: ["examples/scenarios/index.js"],
};

const AGENT_IDS = readdirSync(new URL("./agents/", import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/** Globals of the plain JavaScript files (no `globals` package installed; these are the ones used). */
const NODE_GLOBALS = Object.fromEntries(
  ["process", "console", "URL", "setTimeout", "clearTimeout", "setInterval", "clearInterval"].map((g) => [
    g,
    "readonly",
  ]),
);
const BROWSER_GLOBALS = Object.fromEntries(
  [
    "window",
    "document",
    "location",
    "history",
    "sessionStorage",
    "fetch",
    "FormData",
    "URL",
    "URLSearchParams",
    "EventSource",
    "requestAnimationFrame",
    "console",
    "setTimeout",
    "clearTimeout",
  ].map((g) => [g, "readonly"]),
);

const MAX_DEPTH = 6;
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `(?!a$|b$)`: none of the entries of a layer, given as paths below the repo root. */
const notEntry = (entries) => `(?!${entries.map((e) => `${esc(e)}$`).join("|")})`;

/**
 * no-restricted-imports patterns for a file `depth` folders below the repo root in layer `layer`
 * (`agents/<id>` for an agent): relative specifiers that climb to the root and then enter another
 * layer other than through its entry, or a layer it may not import at all.
 */
function layerPatterns(layer, depth) {
  const root = `^(?:\\.\\./){${depth}}`;
  const base = layer.startsWith("agents/") ? "agents" : layer;
  const patterns = [];
  for (const target of ["protocol", "clinical", "runtime", "inspector", "cli", "examples"]) {
    if (target === base) continue;
    if (!ALLOWED[base].includes(target)) {
      patterns.push({
        regex: `${root}${target}/`,
        message: `${base} may not import ${target} (style.md §2; allowed: ${ALLOWED[base].join(", ") || "nothing"}).`,
      });
    } else if (ENTRIES[target]) {
      patterns.push({
        regex: `${root}${notEntry(ENTRIES[target])}${target}/`,
        message: `Import ${target} through its entry (${ENTRIES[target].join(", ")}), not a deep path (style.md §2).`,
      });
    }
  }
  // Agents: only the composition root imports an agent, and only through agents/<id>/index.js.
  const own = layer.startsWith("agents/") ? layer.slice("agents/".length) : undefined;
  if (own) {
    const others = AGENT_IDS.filter((id) => id !== own).map(esc);
    patterns.push({
      regex: `${root}agents/|^(?:\\.\\./){${depth - 1}}(?:${others.join("|")})/`,
      message: "An agent never imports another agent (style.md §2); share code through clinical/ or runtime/.",
    });
  } else if (ALLOWED[base].includes("agents")) {
    patterns.push({
      regex: `${root}agents/(?![^/]+/index\\.js$)`,
      message: "Import an agent through agents/<id>/index.js, not a deep path (style.md §2).",
    });
  } else {
    patterns.push({ regex: `${root}agents/`, message: `${base} may not import an agent (style.md §2).` });
  }
  return patterns;
}

/** One block per layer and folder depth, since a relative specifier reads differently at each depth. */
function layerBlocks() {
  const layers = [...Object.keys(ALLOWED).filter((l) => l !== "agents"), ...AGENT_IDS.map((id) => `agents/${id}`)];
  const blocks = [];
  for (const layer of layers) {
    const depth0 = layer.split("/").length;
    for (let depth = depth0; depth <= MAX_DEPTH; depth++) {
      blocks.push({
        name: `hms/layers/${layer}/depth-${depth}`,
        files: [`${layer}/${"*/".repeat(depth - depth0)}*.{ts,mts,js,mjs}`],
        // Tests are composition roots (they start servers and agents), as in test/architecture.test.ts.
        ignores: ["**/*.test.ts"],
        rules: { "no-restricted-imports": ["error", { patterns: layerPatterns(layer, depth) }] },
      });
    }
  }
  return blocks;
}

export default defineConfig(
  globalIgnores([
    "node_modules/",
    "native/target/",
    "test-artifacts/",
    "clinical/reference/data/",
    ".tmp/", // scratch space (.gitignore)
  ]),

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    name: "hms/typescript",
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-floating-promises": "error",
      // AbortSignal.reason is typed `any`; style.md §6 says to reject with it as it is.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingAny: true }],
      // `_`-prefixed names are deliberately unused (as tsc's noUnusedLocals allows).
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
        },
      ],
      // Off: here `async` marks implementations of Promise-returning interfaces (skill handlers,
      // AuditLog and PseudonymStore in memory, the A2A SDK's transport and request handler) so that a
      // throw becomes a rejection. Dropping `async` to satisfy the rule would turn those rejections
      // into synchronous throws, a behaviour change; no-floating-promises and no-misused-promises
      // still guard the promises themselves.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    name: "hms/javascript",
    files: ["**/*.{js,mjs,cjs}"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    name: "hms/inspector-page",
    files: ["inspector/public/**/*.js"],
    languageOptions: { globals: BROWSER_GLOBALS },
  },
  {
    name: "hms/tests",
    files: ["**/*.test.ts"],
    rules: {
      // vitest types its asymmetric matchers (expect.any, expect.stringContaining, expect.objectContaining)
      // as `any`, so every object, argument or return that holds one is flagged. no-explicit-any and
      // no-unsafe-member-access / no-unsafe-call still catch real `any` in tests.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    name: "hms/library-code-has-no-console",
    files: ["protocol/**", "runtime/**", "clinical/**", "agents/**"],
    ignores: ["**/*.test.ts", "runtime/supervisor/fixtures/**"],
    rules: { "no-console": "error" },
  },
  layerBlocks(),
);
