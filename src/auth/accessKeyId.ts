/**
 * Shape of every access key id this service accepts (SPEC §11; IAM's own pattern).
 * Anything else is refused without a lookup: it cannot be a key we issued
 * (`npm run principal` mints `AKIA` + 16 base-32 characters; the dev keys are
 * `AKIDLOCALDEV000000n`), so it must not cost a D1 read or a cache slot.
 * In a module of its own, free of Worker types, so Node-side tests can import it.
 */
export const ACCESS_KEY_ID_PATTERN = /^[A-Z0-9]{16,128}$/;
