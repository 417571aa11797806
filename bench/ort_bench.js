#!/usr/bin/env node
// ort_bench.js: time one ONNX model with ONNX Runtime (onnxruntime-node, CPU execution provider).
//
//   node ort_bench.js MODEL.onnx --input NAME=FILE.npy ... [--inputs-dir DIR]
//        [--threads N] [--iterations K] [--warmup W] [--output-dir DIR]
//
// Session options: graphOptimizationLevel 'all', intraOpNumThreads N, interOpNumThreads 1,
// executionMode 'sequential' (memory arena and memory patterns on, the ORT defaults).
// The first W runs (default 1, at least 1) are warm-up and not timed; then K runs are timed one by one
// with process.hrtime.bigint() around `await session.run(feeds)` and the result is printed as ONE line
// of JSON on stdout:
//   {"median_ms", "min_ms", "max_ms", "mean_ms", "iterations", "warmup", "threads", "cpu_ms_per_run",
//    "first_run_ms", "session_create_ms", "run_rss_delta_bytes", "rss_method", "peak_rss_bytes", ...}
// cpu_ms_per_run is the process's user+system CPU time over the timed runs divided by K (all threads,
// so with N > 1 it includes the time ORT's worker threads spend spinning).
// run_rss_delta_bytes is the activation-memory estimate: the peak-RSS high-water mark (VmHWM) is reset
// after the session is created and the inputs are built (echo 5 > /proc/self/clear_refs), and
// VmHWM - VmRSS(before) is read after the first (warm-up) run, which is where ORT allocates its arena.
// If /proc/self/clear_refs cannot be written it falls back to the growth of getrusage's maxRSS over the
// first run (rss_method says which one was used).
// With --output-dir every output is written as DIR/<output name>.npy (from the last run).
// Exit codes: 0 ok, 1 usage/input error, 2 ONNX Runtime failure.
'use strict';

const fs = require('fs');
const path = require('path');

function die(code, msg) {
  process.stderr.write(`error: ort_bench: ${msg}\n`);
  process.exit(code);
}

// ------------------------------------------------------------------------------------------------
// .npy reading and writing (format versions 1.0, 2.0 and 3.0, little-endian, C order)
// ------------------------------------------------------------------------------------------------

const NPY_TYPES = {
  // descr (without byte-order char) -> [onnx tensor type, TypedArray, bytes]
  f4: ['float32', Float32Array, 4],
  f8: ['float64', Float64Array, 8],
  i8: ['int64', BigInt64Array, 8],
  u8: ['uint64', BigUint64Array, 8],
  i4: ['int32', Int32Array, 4],
  u4: ['uint32', Uint32Array, 4],
  i2: ['int16', Int16Array, 2],
  u2: ['uint16', Uint16Array, 2],
  i1: ['int8', Int8Array, 1],
  u1: ['uint8', Uint8Array, 1],
  b1: ['bool', Uint8Array, 1],
  f2: ['float16', Uint16Array, 2],
};

function parseNpy(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read: ${e.code || e.message}`);
  }
  const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
  if (buf.length < 10 || !buf.subarray(0, 6).equals(magic)) throw new Error(`${file}: not a .npy file (bad magic)`);
  const major = buf[6];
  let hlen, hstart;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new Error(`${file}: truncated header`);
    hlen = buf.readUInt32LE(8);
    hstart = 12;
  } else {
    throw new Error(`${file}: unsupported .npy format version ${major}`);
  }
  if (hstart + hlen > buf.length) throw new Error(`${file}: truncated header`);
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', hstart, hstart + hlen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`${file}: malformed header: ${header.trim()}`);
  if (fortran[1] === 'True') throw new Error(`${file}: Fortran-order arrays are not supported`);
  let d = descr[1];
  const order = d[0];
  if ('<>|='.includes(order)) d = d.slice(1);
  const t = NPY_TYPES[d];
  if (!t) throw new Error(`${file}: unsupported dtype '${descr[1]}'`);
  if (order === '>' && t[2] > 1) throw new Error(`${file}: big-endian data is not supported`);
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length)
    .map((s) => {
      if (!/^\d+$/.test(s)) throw new Error(`${file}: bad shape entry '${s}'`);
      return Number(s);
    });
  const count = dims.reduce((a, b) => a * b, 1);
  const dataStart = hstart + hlen;
  const nbytes = count * t[2];
  if (buf.length - dataStart < nbytes)
    throw new Error(`${file}: truncated data: ${buf.length - dataStart} bytes, shape [${dims}] needs ${nbytes}`);
  // copy into a fresh, aligned ArrayBuffer
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(dataStart, dataStart + nbytes));
  let data = new t[1](ab);
  if (d === 'b1') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return { type: t[0], dims, data };
}

function writeNpy(file, tensor) {
  const byType = {};
  for (const [k, v] of Object.entries(NPY_TYPES)) if (!byType[v[0]]) byType[v[0]] = k;
  const code = byType[tensor.type];
  if (!code) throw new Error(`cannot write tensor type '${tensor.type}' as .npy`);
  const descr = (code === 'b1' || code === 'i1' || code === 'u1' ? '|' : '<') + code;
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1; // magic(6) + version(2) + len(2) + header + '\n'
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  const d = tensor.data;
  const body = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

// ------------------------------------------------------------------------------------------------
// memory probes
// ------------------------------------------------------------------------------------------------

function procStatusKb(field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch (e) {
    return null;
  }
}

function resetPeakRss() {
  // Linux >= 4.0: writing 5 to clear_refs resets VmHWM to the current VmRSS
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch (e) {
    return false;
  }
  const hwm = procStatusKb('VmHWM'), rss = procStatusKb('VmRSS');
  return hwm !== null && rss !== null && hwm <= rss + 64; // check that the reset took
}

// ------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const a = { model: null, inputs: [], inputsDir: null, threads: 1, iterations: 10, warmup: 1, outputDir: null };
  const num = (opt, v, lo) => {
    if (v === undefined) die(1, `${opt} needs a value`);
    if (!/^\d+$/.test(v) || Number(v) < lo) die(1, `${opt} wants a whole number >= ${lo}, not '${v}'`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const o = argv[i];
    if (o === '--input') {
      const v = argv[++i];
      const eq = v === undefined ? -1 : v.indexOf('=');
      if (eq <= 0 || eq === v.length - 1) die(1, `--input wants NAME=FILE.npy, not '${v}'`);
      a.inputs.push([v.slice(0, eq), v.slice(eq + 1)]);
    } else if (o === '--inputs-dir') {
      a.inputsDir = argv[++i];
      if (a.inputsDir === undefined) die(1, '--inputs-dir needs a value');
    } else if (o === '--output-dir') {
      a.outputDir = argv[++i];
      if (a.outputDir === undefined) die(1, '--output-dir needs a value');
    } else if (o === '--threads') a.threads = num(o, argv[++i], 1);
    else if (o === '--iterations') a.iterations = num(o, argv[++i], 1);
    else if (o === '--warmup') a.warmup = num(o, argv[++i], 0);
    else if (o === '-h' || o === '--help') {
      process.stdout.write(
        'usage: node ort_bench.js MODEL.onnx [--input NAME=FILE.npy ...] [--inputs-dir DIR]\n' +
          '       [--threads N] [--iterations K] [--warmup W] [--output-dir DIR]\n');
      process.exit(0);
    } else if (o.startsWith('-')) die(1, `unknown option '${o}'`);
    else if (!a.model) a.model = o;
    else die(1, `more than one model given ('${a.model}', '${o}')`);
  }
  if (!a.model) die(1, 'no model given (usage: node ort_bench.js MODEL.onnx --input NAME=FILE.npy ...)');
  if (a.inputsDir) {
    let names;
    try {
      names = fs.readdirSync(a.inputsDir).filter((f) => f.endsWith('.npy')).sort();
    } catch (e) {
      die(1, `--inputs-dir ${a.inputsDir}: ${e.code || e.message}`);
    }
    for (const f of names)
      if (!a.inputs.some(([n]) => n === f.slice(0, -4))) a.inputs.push([f.slice(0, -4), path.join(a.inputsDir, f)]);
  }
  return a;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(a.model)) die(1, `${a.model}: no such file`);
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    die(1, `cannot load onnxruntime-node (run 'npm ci' in bench/ or use bench/run, which installs it): ${e.message}`);
  }
  const rssStart = procStatusKb('VmRSS');
  const opts = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true,
  };
  let session;
  const tc = process.hrtime.bigint();
  try {
    session = await ort.InferenceSession.create(a.model, opts);
  } catch (e) {
    die(2, `${a.model}: ONNX Runtime cannot load the model: ${e.message}`);
  }
  const createMs = Number(process.hrtime.bigint() - tc) / 1e6;

  const feeds = {};
  for (const [name, file] of a.inputs) {
    if (!session.inputNames.includes(name))
      die(1, `the model has no input named '${name}' (inputs: ${session.inputNames.join(', ')})`);
    let t;
    try {
      t = parseNpy(file);
    } catch (e) {
      die(1, `input '${name}': ${e.message}`);
    }
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  for (const name of session.inputNames)
    if (!feeds[name]) die(1, `input '${name}' is missing: pass --input ${name}=FILE.npy`);

  if (global.gc) global.gc();
  let rssMethod = 'VmHWM reset via /proc/self/clear_refs';
  const usageBefore = process.resourceUsage().maxRSS; // kB
  const resetOk = resetPeakRss();
  const rssBefore = procStatusKb('VmRSS');

  const runOnce = async () => {
    try {
      return await session.run(feeds);
    } catch (e) {
      die(2, `${a.model}: ONNX Runtime run failed: ${e.message}`);
    }
  };
  // first run: measured for memory (ORT allocates its activation arena here) and time
  const t1 = process.hrtime.bigint();
  let out = await runOnce();
  const firstMs = Number(process.hrtime.bigint() - t1) / 1e6;
  let deltaKb;
  if (resetOk && rssBefore !== null) {
    deltaKb = procStatusKb('VmHWM') - rssBefore;
  } else {
    rssMethod = 'getrusage maxRSS growth over the first run (clear_refs unavailable; 0 if the peak came earlier)';
    deltaKb = process.resourceUsage().maxRSS - usageBefore;
  }
  for (let i = 1; i < a.warmup; i++) out = await runOnce();

  const times = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < a.iterations; i++) {
    const t = process.hrtime.bigint();
    out = await runOnce();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const cpu = process.cpuUsage(cpu0);
  const sorted = [...times].sort((x, y) => x - y);
  const median =
    sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;

  if (a.outputDir) {
    for (const name of session.outputNames) {
      const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\./, '_');
      const file = path.join(a.outputDir, `${safe}.npy`);
      try {
        writeNpy(file, out[name]);
      } catch (e) {
        die(1, `output '${name}': ${file}: ${e.code || e.message}`);
      }
    }
  }
  const r = {
    model: a.model,
    ort_version: ort.env.versions ? ort.env.versions.node || ort.env.versions.common : null,
    threads: a.threads,
    iterations: a.iterations,
    warmup: Math.max(a.warmup, 1),
    median_ms: median,
    min_ms: sorted[0],
    max_ms: sorted[sorted.length - 1],
    mean_ms: times.reduce((x, y) => x + y, 0) / times.length,
    cpu_ms_per_run: (cpu.user + cpu.system) / 1000 / a.iterations,
    first_run_ms: firstMs,
    session_create_ms: createMs,
    run_rss_delta_bytes: Math.max(0, deltaKb) * 1024,
    rss_method: rssMethod,
    rss_at_start_bytes: rssStart === null ? null : rssStart * 1024,
    rss_after_create_bytes: rssBefore === null ? null : rssBefore * 1024,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    times_ms: times,
  };
  process.stdout.write(JSON.stringify(r) + '\n');
}

main().catch((e) => die(2, e && e.stack ? e.stack : String(e)));
