// SPDX-License-Identifier: BSD-2-Clause
// mpgen's web page: live counters per port, controls, and three charts
// (frames/s, drops/s, latency) drawn on canvases from /stat/1 polled twice a
// second. Self-contained: no external scripts (the machines running it often
// have no internet).
#include "app.hpp"

namespace mpgen {

const char* const web_page = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mpgen</title>
<style>
body{font-family:sans-serif;margin:16px;background:#fafafa;color:#222}
h1{font-size:20px;margin:0 0 8px}
.ports{display:flex;gap:16px;flex-wrap:wrap}
.port{background:#fff;border:1px solid #ccc;border-radius:6px;padding:10px;min-width:330px}
.port h2{font-size:16px;margin:0 0 6px}
table{border-collapse:collapse}td{padding:1px 8px;font-variant-numeric:tabular-nums}
td.v{text-align:right;min-width:120px}
.controls{margin:10px 0}button{margin-right:6px;padding:4px 12px}
canvas{background:#fff;border:1px solid #ccc;margin:6px 6px 0 0}
#status{font-weight:bold}
</style></head>
<body>
<h1>mpgen <span id="status">…</span> <small id="time"></small></h1>
<div class="controls">
<button id="start">Start</button><button id="stop">Stop</button><button id="clear">Clear</button>
<span id="message"></span>
</div>
<div class="ports" id="ports"></div>
<div><canvas id="c-pps" width="460" height="200"></canvas><canvas id="c-drop" width="460" height="200"></canvas>
<canvas id="c-lat" width="460" height="200"></canvas></div>
<script>
"use strict";
const rows=[["state","state"],["size","size"],["rate","rate"],["TX frames","tx"],["TX fps","tx_pps"],["TX Mbit/s","tx_mbps"],
["TX underrun","tx_underrun"],["RX frames","rx"],["RX fps","rx_pps"],["RX Mbit/s","rx_mbps"],["RX drop","rx_drop"],
["RX dup","rx_dup"],["RX reorder","rx_reorder"],["RX reorder in flow","rx_reorder_flow"],["latency avg µs","lat_avg"],
["latency p99 µs","lat_p99"],["latency max µs","lat_max"]];
const hist=[];const keep=600;let built=0;
function fmt(v){if(typeof v!=="number")return v;if(Math.abs(v)>=1e6)return(v/1e6).toFixed(3)+"M";
if(Math.abs(v)>=1e3)return(v/1e3).toFixed(2)+"k";return Number.isInteger(v)?String(v):v.toFixed(2)}
function build(ports){const box=document.getElementById("ports");box.innerHTML="";
ports.forEach((p,i)=>{const d=document.createElement("div");d.className="port";
let h=`<h2>port ${i} ${p.name} <small>${p.mac}</small></h2><table>`;
rows.forEach(([l,k])=>{h+=`<tr><td>${l}</td><td class="v" id="${k}-${i}"></td></tr>`});
h+=`</table><div>size <input id="in-size-${i}" size="12"> <button id="set-size-${i}">Set</button>
 rate <input id="in-rate-${i}" size="10"> <button id="set-rate-${i}">Set</button></div>`;
d.innerHTML=h;box.appendChild(d);
document.getElementById(`set-size-${i}`).onclick=()=>ctl(`/port/${i}/size/`+encodeURIComponent(document.getElementById(`in-size-${i}`).value));
document.getElementById(`set-rate-${i}`).onclick=()=>ctl(`/port/${i}/rate/`+encodeURIComponent(document.getElementById(`in-rate-${i}`).value));
});built=ports.length}
async function ctl(path){const r=await fetch(path,{method:"POST"});const j=await r.json();
document.getElementById("message").textContent=j.message;poll()}
document.getElementById("start").onclick=()=>ctl("/start");
document.getElementById("stop").onclick=()=>ctl("/stop");
document.getElementById("clear").onclick=()=>ctl("/clear");
function chart(id,title,series,log){const c=document.getElementById(id),g=c.getContext("2d");
g.clearRect(0,0,c.width,c.height);g.fillStyle="#222";g.font="12px sans-serif";g.fillText(title,8,14);
let max=1;series.forEach(s=>s.v.forEach(x=>{if(x>max)max=x}));
const L=50,T=22,W=c.width-L-10,H=c.height-T-20;g.strokeStyle="#ddd";g.strokeRect(L,T,W,H);
g.fillText(fmt(max),4,T+10);g.fillText("0",30,T+H);
const y=v=>log?T+H-(Math.log10(1+v)/Math.log10(1+max))*H:T+H-v/max*H;
series.forEach((s,k)=>{g.strokeStyle=s.c;g.beginPath();s.v.forEach((v,i)=>{const x=L+i*W/(keep-1);
i?g.lineTo(x,y(v)):g.moveTo(x,y(v))});g.stroke();g.fillStyle=s.c;g.fillText(s.n,L+8+k*110,c.height-4)});}
const colors=["#1f77b4","#d62728","#2ca02c","#ff7f0e"];
async function poll(){let j;try{const r=await fetch("/stat/1");j=await r.json()}catch(e){
document.getElementById("status").textContent="disconnected";return}
if(!j.ports)return;if(built!==j.ports.length)build(j.ports);
document.getElementById("time").textContent=`up ${j.time.toFixed(1)} s`;
const any=j.ports.some(p=>p.running);document.getElementById("status").textContent=any?"running":"stopped";
if(j.message)document.getElementById("message").textContent=j.message;
j.ports.forEach((p,i)=>{const v={...p,state:p.running?"sending":(p.transmits?"stopped":"receive only"),
lat_avg:p.latency.avg_us,lat_p99:p.latency.p99_us,lat_max:p.latency.max_us};
rows.forEach(([l,k])=>{const e=document.getElementById(`${k}-${i}`);if(e)e.textContent=fmt(v[k])})});
hist.push(j);if(hist.length>keep)hist.shift();
const S=[],D=[],Lt=[];j.ports.forEach((p,i)=>{
S.push({n:`TX${i}`,c:colors[(2*i)%4],v:hist.map(h=>h.ports[i].tx_pps)});
S.push({n:`RX${i}`,c:colors[(2*i+1)%4],v:hist.map(h=>h.ports[i].rx_pps)});
D.push({n:`drop/s ${i}`,c:colors[(2*i+1)%4],v:hist.map(h=>h.ports[i].rx_drop_pps)});
Lt.push({n:`avg ${i}`,c:colors[(2*i)%4],v:hist.map(h=>h.ports[i].latency.avg_us)});
Lt.push({n:`p99 ${i}`,c:colors[(2*i+1)%4],v:hist.map(h=>h.ports[i].latency.p99_us)})});
chart("c-pps","frames per second",S,false);chart("c-drop","drops per second (log)",D,true);chart("c-lat","latency µs",Lt,false)}
setInterval(poll,500);poll();
</script></body></html>
)HTML";

}  // namespace mpgen
