/**
 * The web UI's one style sheet, served by `wardd` at /ui/static/ward.css (assets.ts). It lives in
 * a module rather than a .css file so the TypeScript build carries it into dist/ with the code.
 *
 * Mobile first: one column that widens to a centred card; tap targets of at least 44 px; system
 * fonts (no font downloads); a visible focus ring on everything focusable; colours with WCAG AA
 * contrast, and a dark scheme that follows the system setting.
 */
export const WARD_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f4f5f7; --card: #ffffff; --text: #1b1f24; --muted: #57606a; --line: #d0d7de;
  --accent: #0a58ca; --accent-text: #ffffff; --danger: #b42318; --ok: #116329;
  --notice-error-bg: #fdecea; --notice-ok-bg: #e6f4ea; --focus: #f59e0b;
  --radius: 10px;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1216; --card: #181c22; --text: #e6e9ed; --muted: #a0a9b4; --line: #343b45;
    --accent: #5b9dff; --accent-text: #0b1220; --danger: #ff8a80; --ok: #7ee2a0;
    --notice-error-bg: #3a1714; --notice-ok-bg: #12301c;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
}
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -10000px; top: 0; }
.skip:focus { left: 0.5rem; top: 0.5rem; background: var(--card); padding: 0.5rem 1rem; z-index: 10; }

header.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem;
  padding: 0.75rem 1rem; background: var(--card); border-bottom: 1px solid var(--line);
}
header.top .brand { font-weight: 700; font-size: 1.15rem; color: var(--text); text-decoration: none; margin-right: auto; }
header.top nav { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.75rem; }
header.top nav a { padding: 0.5rem 0.25rem; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
header.top form { margin: 0; }

main { max-width: 44rem; margin: 0 auto; padding: 1rem; }
main.narrow { max-width: 28rem; }
h1 { font-size: 1.5rem; margin: 1rem 0; line-height: 1.25; }
h2 { font-size: 1.15rem; margin: 0 0 0.75rem; }
p { margin: 0.5rem 0; }
.muted { color: var(--muted); }
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: var(--radius);
  padding: 1rem 1.25rem; margin: 0 0 1rem;
}
.notice { border-radius: var(--radius); padding: 0.75rem 1rem; margin: 0 0 1rem; border: 1px solid var(--line); }
.notice.error { background: var(--notice-error-bg); border-color: var(--danger); }
.notice.ok { background: var(--notice-ok-bg); border-color: var(--ok); }

form.stack { display: flex; flex-direction: column; gap: 0.75rem; }
label { font-weight: 600; display: block; margin-bottom: 0.25rem; }
.field { display: flex; flex-direction: column; }
.hint { color: var(--muted); font-size: 0.9rem; margin-top: 0.25rem; }
input[type="text"], input[type="password"], input[type="email"], textarea {
  width: 100%; min-height: 44px; padding: 0.5rem 0.75rem; font: inherit; color: var(--text);
  background: var(--bg); border: 1px solid var(--line); border-radius: 8px;
}
textarea { min-height: 6rem; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9rem; }
input.code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; letter-spacing: 0.2em; font-size: 1.2rem; }
button, .button {
  display: inline-flex; align-items: center; justify-content: center; min-height: 44px;
  padding: 0.5rem 1rem; font: inherit; font-weight: 600; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); text-decoration: none;
}
button.secondary, .button.secondary { background: transparent; color: var(--accent); }
button.danger { background: transparent; color: var(--danger); border-color: var(--danger); }
button.link { background: none; border: none; color: var(--accent); padding: 0.5rem 0.25rem; min-height: 0; font-weight: 400; text-decoration: underline; }
button:disabled { opacity: 0.55; cursor: not-allowed; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.spaced { margin-top: 0.75rem; }
.or { display: flex; align-items: center; gap: 0.75rem; color: var(--muted); margin: 1rem 0; }
.or::before, .or::after { content: ""; flex: 1; border-top: 1px solid var(--line); }

dl.details { display: grid; grid-template-columns: minmax(7rem, max-content) 1fr; gap: 0.25rem 1rem; margin: 0; }
dl.details dt { color: var(--muted); }
dl.details dd { margin: 0; overflow-wrap: anywhere; }
ul.plain { list-style: none; padding: 0; margin: 0; }
ul.items > li { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem; padding: 0.6rem 0; border-top: 1px solid var(--line); }
ul.items > li:first-child { border-top: none; }
.item-main { min-width: 0; flex: 1 1 16rem; }
.item-main .mono { display: block; }
.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85rem; overflow-wrap: anywhere; }
.tags { display: flex; flex-wrap: wrap; gap: 0.35rem; }
.tag { border: 1px solid var(--line); border-radius: 999px; padding: 0.1rem 0.6rem; font-size: 0.9rem; }
.apps { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 0.75rem; }
.apps a { display: block; padding: 1rem; border: 1px solid var(--line); border-radius: var(--radius); background: var(--card); text-decoration: none; color: var(--text); }
.apps a strong { display: block; color: var(--accent); }
.empty { text-align: center; padding: 2rem 1rem; }
.qr { display: block; width: 100%; max-width: 16rem; height: auto; background: #fff; padding: 0.5rem; border-radius: 8px; margin: 0.5rem 0; }
.codes { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 0.35rem 1rem; padding: 0; list-style: none; }
.codes li { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 1.05rem; }
.status-yes { color: var(--ok); font-weight: 600; }
.status-no { color: var(--muted); }
details summary { cursor: pointer; padding: 0.5rem 0; color: var(--accent); }
[hidden] { display: none !important; }
@media (min-width: 40rem) {
  main { padding: 1.5rem; }
  h1 { font-size: 1.75rem; }
}
`;

/** A small shield mark in the tab (an SVG, no raster assets). */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M16 2 4 7v8c0 7.2 5.1 13.3 12 15 6.9-1.7 12-7.8 12-15V7z" fill="#0a58ca"/><path d="m10 16 4 4 8-8" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>';
