/// xoshiro128** seeded by SplitMix32 (Weyl sequence plus the murmur3 finalizer), written to
/// match `clinical/treatment/rng.ts` operation for operation. The GA's only randomness.
#[derive(Debug, Clone)]
pub struct Xoshiro128 {
    s: [u32; 4],
}

impl Xoshiro128 {
    /// A generator seeded from `seed`.
    pub fn new(seed: u32) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9);
            let mut z = x;
            z = (z ^ (z >> 16)).wrapping_mul(0x85eb_ca6b);
            z = (z ^ (z >> 13)).wrapping_mul(0xc2b2_ae35);
            z ^ (z >> 16)
        };
        let mut s = [next(), next(), next(), next()];
        if s == [0, 0, 0, 0] {
            s[0] = 1;
        }
        Xoshiro128 { s }
    }

    /// Next 32-bit unsigned integer.
    pub fn next_u32(&mut self) -> u32 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 9;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(11);
        result
    }

    /// Uniform in [0, 1): u32 / 2^32, exact in f64.
    pub fn next_float(&mut self) -> f64 {
        f64::from(self.next_u32()) / 4_294_967_296.0
    }

    /// Uniform integer in [0, n) for n < 2^21: floor(u32 * n / 2^32), exact in f64.
    pub fn next_int(&mut self, n: usize) -> usize {
        ((f64::from(self.next_u32()) * n as f64) / 4_294_967_296.0).floor() as usize
    }
}
