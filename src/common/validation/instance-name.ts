/** What the upstream accepts in a URL path without surprises: letters, digits, "-" and "_", 2 to 64 characters. */
export const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$/;
export const INSTANCE_NAME_RULE = 'must be 2-64 letters, digits, "-" or "_", starting with a letter or digit';
