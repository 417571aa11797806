#!/usr/bin/env node
// report.js: turns bench/run's results.tsv into markdown tables, or updates README.md.
//
//   node report.js RESULTS.tsv META.txt MODEL...          markdown on stdout
//   node report.js --update-readme README.md TABLE.md     replace the text between
//        <!-- bench:start --> and <!-- bench:end --> (appends a "## Benchmarks" section with the
//        markers at the end of README.md when they are missing)
//
// results.tsv columns: model threads runtime round median_ms min_ms max_ms iterations correct mem_bytes cpu_ms
'use strict';
const fs = require('fs');

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

function die(msg) {
  process.stderr.write(`error: bench/report.js: ${msg}\n`);
  process.exit(1);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function ms(x) {
  if (!isFinite(x)) return 'n/a';
  return x >= 100 ? x.toFixed(1) : x >= 10 ? x.toFixed(2) : x.toFixed(3);
}

function bytes(b) {
  if (!isFinite(b)) return 'n/a';
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(2)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(0)} KiB`;
  return `${b} B`;
}

function updateReadme(readme, tableFile) {
  let text, table;
  try {
    text = fs.readFileSync(readme, 'utf8');
    table = fs.readFileSync(tableFile, 'utf8').trimEnd();
  } catch (e) {
    die(e.message);
  }
  const a = text.indexOf(START), b = text.indexOf(END);
  if (a >= 0 && b > a) {
    text = text.slice(0, a + START.length) + '\n' + table + '\n' + text.slice(b);
  } else if (a >= 0 || b >= 0) {
    die(`${readme}: only one of the markers ${START} / ${END} is present; fix it by hand`);
  } else {
    text = text.trimEnd() + '\n\n## Benchmarks\n\n' +
      'ingot against ONNX Runtime on the CPU, written by `bench/run --update-readme`; how it is measured and\n' +
      'its caveats are in [bench/README.md](bench/README.md).  Ratios come from one run on one machine.\n\n' +
      START + '\n' + table + '\n' + END + '\n';
  }
  fs.writeFileSync(readme, text);
}

function report(resultsFile, metaFile, models) {
  const rows = fs.readFileSync(resultsFile, 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
    const c = l.split('\t');
    return { model: c[0], threads: Number(c[1]), rt: c[2], round: Number(c[3]), med: Number(c[4]), min: Number(c[5]),
             max: Number(c[6]), iters: Number(c[7]), ok: c[8], mem: c[9] === undefined || c[9] === '' ? NaN : Number(c[9]),
             cpu: c[10] === undefined || c[10] === '' ? NaN : Number(c[10]) };
  });
  const meta = {};
  for (const l of fs.readFileSync(metaFile, 'utf8').split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) meta[l.slice(0, i)] = l.slice(i + 1);
  }
  const threads = [...new Set(rows.map((r) => r.threads))].sort((a, b) => a - b);
  const pick = (m, t, rt) => rows.filter((r) => r.model === m && r.threads === t && r.rt === rt);
  const okOf = (rs) => {
    if (!rs.length) return 'n/a';
    if (rs.some((r) => r.ok === 'error')) return 'run failed';
    const bad = rs.filter((r) => r.ok !== 'yes').length;
    return bad ? `**NO** (${bad}/${rs.length} runs)` : 'yes';
  };
  const compileFailed = new Set((meta.compile_failed || '').split(/\s+/).filter(Boolean));
  const out = [];
  out.push(`ingot ${meta.ingot_rev} vs ONNX Runtime ${meta.ort_version} (onnxruntime-node, CPU EP) on ${meta.cpu}, ` +
    `${meta.nproc} cores, ${meta.date}; ${meta.rounds} alternating rounds${meta.quick === '1' ? ' (--quick)' : ''}, ` +
    `load average ${meta.load_start} at the start and ${meta.load_end} at the end.`);
  out.push('');
  out.push('| model | threads | ingot median ms | ORT median ms | ingot/ORT speed ratio | ingot correct | ORT correct | CPU-time ratio |');
  out.push('|---|---:|---:|---:|---:|---|---|---:|');
  const detail = [];
  for (const m of models) {
    if (compileFailed.has(m)) {
      out.push(`| ${m} | | compile failed | | | no | |`);
      continue;
    }
    for (const t of threads) {
      const ri = pick(m, t, 'ingot'), ro = pick(m, t, 'ort');
      if (!ri.length && !ro.length) continue;
      const mi = median(ri.map((r) => r.med).filter(isFinite));
      const mo = median(ro.map((r) => r.med).filter(isFinite));
      const ratio = isFinite(mi) && isFinite(mo) && mi > 0 ? (mo / mi).toFixed(2) : 'n/a';
      const ci = median(ri.map((r) => r.cpu).filter(isFinite));
      const co = median(ro.map((r) => r.cpu).filter(isFinite));
      const cratio = isFinite(ci) && isFinite(co) && ci > 0 ? (co / ci).toFixed(2) : 'n/a';
      out.push(`| ${m} | ${t} | ${ms(mi)} | ${ms(mo)} | ${ratio} | ${okOf(ri)} | ${okOf(ro)} | ${cratio} |`);
      const fmt = (rs) => rs.sort((a, b) => a.round - b.round).map((r) => ms(r.med)).join(' / ');
      const best = (rs) => ms(Math.min(...rs.map((r) => r.min).filter(isFinite)));
      detail.push(`| ${m} | ${t} | ${ri.length ? ri[0].iters : ''} | ${fmt(ri)} | ${best(ri)} | ${ms(ci)} | ` +
        `${fmt(ro)} | ${best(ro)} | ${ms(co)} |`);
    }
  }
  out.push('');
  out.push('Speed ratio = ORT median / ingot median, so above 1 means ingot is faster. Each median is the median of the');
  out.push('per-round medians; "correct" means `ingot compare --tol 1e-4` against torch\'s `outputs/out.npy` passed in');
  out.push('every round. CPU-time ratio = ORT / ingot user+system CPU time per run (all threads; medians over rounds):');
  out.push('it is much less sensitive than wall time to other load on the machine, but with more than one thread it');
  out.push('also counts the time worker threads spend spinning or waiting busily.');
  out.push('');
  out.push('Activation memory (at the lowest thread count measured):');
  out.push('');
  out.push('| model | ingot peak activations | ORT first-run RSS growth | ORT / ingot |');
  out.push('|---|---:|---:|---:|');
  const t0 = threads[0];
  for (const m of models) {
    if (compileFailed.has(m)) continue;
    const ri = pick(m, t0, 'ingot'), ro = pick(m, t0, 'ort');
    if (!ri.length && !ro.length) continue;
    const ai = ri.length ? ri[0].mem : NaN;
    const ao = median(ro.map((r) => r.mem).filter(isFinite));
    const ratio = isFinite(ai) && isFinite(ao) && ai > 0 ? (ao / ai).toFixed(1) : 'n/a';
    out.push(`| ${m} | ${bytes(ai)} | ${bytes(ao)} | ${ratio} |`);
  }
  out.push('');
  out.push('ingot: the static arena size from `ingot compile --report` ("peak activations"), exact and planned at compile');
  out.push('time. ORT: growth of the process\'s peak RSS over the first `session.run` (VmHWM reset through');
  out.push('`/proc/self/clear_refs` after the session is created and the inputs are built; median over rounds): its');
  out.push('activation arena plus whatever else that run touches for the first time (outputs, thread-local scratch),');
  out.push('so it is an upper bound of the activations, in whole pages.');
  out.push('');
  const floors = models.filter((m) => meta[`work_${m}`] && !compileFailed.has(m));
  if (floors.length) {
    out.push('Compute floor: the time of the model\'s FLOPs at the measured fp32 FMA peak of the cores used, the');
    out.push('fastest any fp32 implementation doing this arithmetic could run; "% of peak" = floor / median, and the');
    out.push('ceiling = ORT median / floor is the largest ingot/ORT speed ratio such an implementation could reach:');
    out.push('');
    out.push('| model | GFLOP per run | threads | floor ms | ingot % of peak | ORT % of peak | speed-ratio ceiling |');
    out.push('|---|---:|---:|---:|---:|---:|---:|');
    const nproc = Number(meta.nproc) || 1;
    for (const m of floors) {
      const [gflop, ms1] = meta[`work_${m}`].split(/\s+/).map(Number);
      for (const t of threads) {
        const ri = pick(m, t, 'ingot'), ro = pick(m, t, 'ort');
        if (!ri.length && !ro.length) continue;
        const floor = ms1 / Math.min(t, nproc);
        const mi = median(ri.map((r) => r.med).filter(isFinite));
        const mo = median(ro.map((r) => r.med).filter(isFinite));
        const pct = (x) => (isFinite(x) && x > 0 ? `${((100 * floor) / x).toFixed(0)}%` : 'n/a');
        const ceil = isFinite(mo) && floor > 0 ? (mo / floor).toFixed(2) : 'n/a';
        out.push(`| ${m} | ${gflop.toFixed(3)} | ${t} | ${ms(floor)} | ${pct(mi)} | ${pct(mo)} | ${ceil} |`);
      }
    }
    out.push('');
    out.push('GFLOP: the sum of the compiled kernels\' own estimates (`ingot compile --report`, "work" line: matrix');
    out.push('products, plus the elementwise and softmax arithmetic they count); peak: `--target native`\'s measurement.');
    out.push('');
  }
  out.push('Per-round medians in ms (iterations per measurement; best = fastest single iteration seen; CPU = CPU ms per run):');
  out.push('');
  out.push('| model | threads | iterations | ingot rounds | ingot best | ingot CPU | ORT rounds | ORT best | ORT CPU |');
  out.push('|---|---:|---:|---|---:|---:|---|---:|---:|');
  out.push(...detail);
  if (meta.skipped) {
    out.push('');
    out.push(`Skipped: ${meta.skipped}.`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

const argv = process.argv.slice(2);
if (argv[0] === '--update-readme') {
  if (argv.length !== 3) die('usage: report.js --update-readme README.md TABLE.md');
  updateReadme(argv[1], argv[2]);
} else {
  if (argv.length < 3) die('usage: report.js RESULTS.tsv META.txt MODEL...');
  try {
    report(argv[0], argv[1], argv.slice(2));
  } catch (e) {
    die(e.message);
  }
}
