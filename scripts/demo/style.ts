/** The demo page's stylesheet, inlined into the page: a light, Slack-like thread view using system fonts only. */
export const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f4f4f5;color:#1d1c1d;font:15px/1.46 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
.banner{position:sticky;top:0;z-index:1;padding:10px 16px;background:#fff4d6;border-bottom:1px solid #e8c766;font-weight:600;text-align:center}
.thread{max-width:860px;margin:20px auto;background:#fff;border:1px solid #ddd;border-radius:8px;overflow:hidden}
.thread-head{padding:12px 20px;border-bottom:1px solid #e8e8e8;font-size:17px}
.channel{color:#616061;font-weight:400;font-size:14px}
.reply-count{display:flex;align-items:center;gap:12px;padding:4px 20px;color:#616061;font-size:13px}
.reply-count::after{content:"";flex:1;border-top:1px solid #e8e8e8}
.message{display:flex;gap:10px;padding:10px 20px}
.message:hover{background:#f8f8f8}
.avatar{flex:none;width:36px;height:36px;border-radius:6px;color:#fff;font-weight:700;font-size:14px;display:flex;align-items:center;justify-content:center}
.message-body{flex:1;min-width:0}
.meta{display:flex;align-items:baseline;gap:6px}
.name{font-weight:900}
.app{background:#e8e8e8;color:#616061;font-size:10px;font-weight:700;padding:1px 4px;border-radius:3px}
time{color:#616061;font-size:12px}
.content p{margin:0 0 6px}
.md h1,.md h2,.md h3,.md h4{margin:8px 0 4px;font-size:16px}
.md ul,.md ol{margin:4px 0 8px;padding-left:24px}
.md li.nested-1{margin-left:20px}.md li.nested-2{margin-left:40px}.md li.nested-3{margin-left:60px}
.md blockquote{margin:4px 0;padding-left:10px;border-left:4px solid #ddd;color:#454245}
code{font:12px/1.5 Monaco,Menlo,Consolas,monospace;background:#f6f6f6;border:1px solid #e0e0e0;border-radius:3px;padding:1px 3px;color:#c01343}
pre{margin:4px 0 8px;padding:8px;background:#f8f8f8;border:1px solid #e0e0e0;border-radius:4px;overflow-x:auto}
pre code{background:none;border:0;padding:0;color:#1d1c1d;white-space:pre}
table{border-collapse:collapse;margin:6px 0 10px;font-size:14px}
th,td{border:1px solid #ddd;padding:4px 10px}th{background:#f6f6f6}
.data-table caption{caption-side:top;text-align:left;font-weight:700;padding-bottom:4px}
.button.feedback{font-weight:400;padding:3px 8px}
.native-chart{margin:6px 0 10px;padding:10px 12px;border:1px solid #ddd;border-radius:6px;max-width:560px}
.native-chart figcaption{font-weight:700;margin-bottom:6px}.native-chart figcaption small{font-weight:400;color:#616061}
.chart-row{display:grid;grid-template-columns:90px 1fr;gap:8px;align-items:center;margin:3px 0;font-size:13px}
.chart-bar{display:flex;align-items:center;gap:6px}.chart-bar span{display:inline-block;height:12px;border-radius:2px}
.chart-bar small{color:#616061}
.chart-legend{display:flex;gap:12px;margin-top:6px;font-size:12px;color:#616061}
.chart-legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.left{text-align:left}.right{text-align:right}.center{text-align:center}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
.section{margin-bottom:2px}
.context{color:#616061;font-size:13px}
.actions{display:flex;gap:8px;margin-top:6px}
.button{border:1px solid #bbb;border-radius:4px;padding:3px 12px;font-size:13px;font-weight:700;color:#1d1c1d;background:#fff;cursor:default}
.button.primary{background:#007a5a;border-color:#007a5a;color:#fff}
.button.danger{color:#e01e5a;border-color:#e01e5a}
.receipt{margin-top:4px;color:#616061;font-size:12px}
.progress .content{border-left:3px solid #d1d1d1;padding-left:8px}
.image{margin:6px 0;display:inline-block;border:1px solid #ddd;border-radius:6px;overflow:hidden}
.image img{display:block;max-width:100%;height:auto}
.image figcaption{padding:4px 8px;font-size:12px;color:#616061;background:#f8f8f8}
.file{display:inline-flex;gap:10px;align-items:center;margin:6px 0;padding:8px 12px;border:1px solid #ddd;border-radius:6px;color:#1d1c1d;text-decoration:none}
.file:hover{background:#f8f8f8}.file-icon{font-size:24px}
.reactions{display:flex;gap:4px;margin-top:4px}
.reaction{background:#e8f5fa;border:1px solid #1d9bd1;border-radius:12px;padding:0 8px;font-size:12px}
.updates{margin-top:6px;font-size:13px;color:#616061}
.updates summary{cursor:pointer}
.updates ol{list-style:none;padding-left:0}
.updates li{display:flex;gap:8px;padding:6px 0;border-top:1px dashed #e0e0e0}
.step-no{flex:none;width:20px;height:20px;border-radius:10px;background:#e8e8e8;text-align:center;font-size:12px}
`;
