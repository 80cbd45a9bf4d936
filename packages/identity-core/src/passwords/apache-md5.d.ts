// The package's own typings declare an ES default export, but it is a CommonJS module whose
// `module.exports` is the function itself; this describes what Node's ESM loader really gives.
declare module 'apache-md5' {
  /** Computes an Apache `$apr1$` or (with a `$1$…` salt) an MD5-crypt hash; one byte per character. */
  function md5Crypt(password: string, salt?: string): string;
  export = md5Crypt;
}
