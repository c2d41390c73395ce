/** The dashboard's static assets, shipped inside the package (no CDN): one stylesheet and one icon. */

export const STYLE_CSS = `
:root { --bg:#f7f8fa; --fg:#1d2330; --muted:#5b6475; --line:#dde1e8; --card:#fff; --accent:#2456c8;
  --critical:#8e1b1b; --high:#d23c2a; --medium:#e08a00; --low:#3d7fc2; --negligible:#7a8799; --unknown:#9aa3b2; --pass:#1e7d3c; --fail:#c0261f; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:center; padding:.6rem 1rem; background:#141a26; color:#fff; }
header a { color:#fff; text-decoration:none; font-weight:600; }
header form { display:flex; flex:1 1 16rem; gap:.4rem; max-width:34rem; }
header input[type=search] { flex:1; min-width:0; padding:.45rem .6rem; border-radius:6px; border:1px solid #39425a; background:#1f2738; color:#fff; }
header button, .btn { padding:.45rem .8rem; border-radius:6px; border:0; background:var(--accent); color:#fff; cursor:pointer; }
main { padding:1rem; max-width:1200px; margin:0 auto; }
h1 { font-size:1.35rem; margin:.2rem 0 1rem; word-break:break-all; }
h2 { font-size:1.1rem; margin:1.4rem 0 .6rem; }
a { color:var(--accent); }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(9rem,1fr)); gap:.7rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.7rem .9rem; }
.card .n { font-size:1.6rem; font-weight:700; }
.card .l { color:var(--muted); font-size:.85rem; }
.panel { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.8rem; }
.scroll { overflow-x:auto; -webkit-overflow-scrolling:touch; }
table { border-collapse:collapse; width:100%; background:var(--card); font-size:.92rem; }
th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef1f6; font-weight:600; white-space:nowrap; }
td.mono, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:.84rem; word-break:break-all; }
.sev { display:inline-block; padding:.05rem .45rem; border-radius:4px; color:#fff; font-size:.78rem; font-weight:600; text-transform:uppercase; }
.sev.critical { background:var(--critical); } .sev.high { background:var(--high); } .sev.medium { background:var(--medium); }
.sev.low { background:var(--low); } .sev.negligible { background:var(--negligible); } .sev.unknown { background:var(--unknown); }
.verdict { font-weight:700; } .verdict.pass { color:var(--pass); } .verdict.fail { color:var(--fail); }
.muted { color:var(--muted); }
.chart svg { width:100%; height:auto; display:block; }
.chart .axis { stroke:var(--line); }
.chart text { fill:var(--muted); font-size:11px; }
.legend { display:flex; flex-wrap:wrap; gap:.4rem 1rem; font-size:.85rem; margin-top:.4rem; }
.legend .sw { display:inline-block; width:.8rem; height:.8rem; border-radius:2px; margin-right:.3rem; vertical-align:-1px; }
.sw.critical { background:var(--critical); } .sw.high { background:var(--high); } .sw.medium { background:var(--medium); } .sw.low { background:var(--low); } .sw.unknown { background:var(--unknown); }
.line.critical { stroke:var(--critical); } .line.high { stroke:var(--high); } .line.medium { stroke:var(--medium); } .line.low { stroke:var(--low); } .line.unknown { stroke:var(--unknown); stroke-dasharray:4 3; }
.line { fill:none; stroke-width:2.5; }
ul.changes { margin:0; padding-left:1.1rem; }
.pager { display:flex; gap:1rem; margin:.6rem 0; }
.kv { display:grid; grid-template-columns:max-content 1fr; gap:.3rem 1rem; }
.kv dt { color:var(--muted); } .kv dd { margin:0; word-break:break-all; }
@media (max-width: 640px) {
  main { padding:.6rem; }
  th, td { padding:.35rem .4rem; }
  .hide-s { display:none; }
  .kv { grid-template-columns:1fr; } .kv dd { margin-bottom:.4rem; }
}
`;

export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M4 20h24l-4 7H8z" fill="#2456c8"/><path d="M15 4v14H7z" fill="#1d2330"/><path d="M17 8v10h7z" fill="#5b6475"/></svg>`;
