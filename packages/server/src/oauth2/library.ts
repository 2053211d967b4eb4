/**
 * Loads oidc-provider once. Its entry module prints "Unsupported runtime" to standard error at
 * import on Node.js 20 (the library declares 22 LTS as its floor, but runs on 20.19+: this
 * project's tests and ecosystem.md §1.8 verify it). A bare line on standard error would sit
 * outside wardd's JSON log and alarm administrators for nothing, so that one message is held back
 * during the import and reported once, structured, by the caller; any other output passes.
 */
type OidcProviderModule = typeof import('oidc-provider');

let loading: Promise<{ lib: OidcProviderModule; runtimeNotice: string | undefined }> | undefined;

export function loadOidcProvider(): Promise<{ lib: OidcProviderModule; runtimeNotice: string | undefined }> {
  loading ??= (async () => {
    const original = console.warn;
    let runtimeNotice: string | undefined;
    console.warn = (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      if (/Unsupported runtime/.test(text)) runtimeNotice = text.replace(/\x1b\[[0-9;]*m/g, '');
      else original(...args);
    };
    try {
      const lib = await import('oidc-provider');
      return { lib, runtimeNotice };
    } finally {
      console.warn = original;
    }
  })();
  return loading;
}
