/** Injection tokens for values that are not classes. */
export const AUTHORITY_CONFIG = Symbol('AUTHORITY_CONFIG');
export const LOGGER = Symbol('LOGGER');
