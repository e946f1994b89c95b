const {openSqliteStore}=require('./dist/store');
(async()=>{
const s=openSqliteStore({path:':memory:'});
await s.create('/core/pods/b/x',{metadata:{}});
const total=50; const counts=[];
const cons=Array.from({length:Number(process.argv[2])},async(_, j)=>{const w=s.watch('/core/pods/b/',0);let got=0;for(;got<total;got++){const ev=await w.next(); if(!ev)break;counts[j]=got+1} });
for(let i=0;i<total;i++){await s.update('/core/pods/b/x',{metadata:{},i}); if(i%5==0) await new Promise(r=>setTimeout(r,5));}
setTimeout(()=>{const h={};for(const c of counts)h[c]=(h[c]||0)+1;console.log(h)},200);
await Promise.all(cons); console.log('ok');
})();
