#!/usr/bin/env node
// Part of qlc. SPDX-License-Identifier: Apache-2.0
//
// run-ort.js - runs an ONNX model with ONNX Runtime (onnxruntime-node) as the
// reference for qlc-run: inputs from .npy files, outputs written as .npy
// (file names sanitised exactly like qlc-run's), single-threaded
// (intra- and inter-op threads = 1). With --time-runs N it runs N more
// times after the first and prints the same timing lines as qlc-run.
//
// usage: node run-ort.js MODEL [--input NAME=FILE.npy]... [--output-dir DIR]
//                        [--time-runs N] [--threads N]
//                        [--graph-optimization disabled|basic|extended|all]
// (graph optimisations default to ORT's 'all'; 'disabled' keeps e.g. QDQ
// models from being fused into ORT's integer kernels.)
'use strict';

const fs = require('fs');
const path = require('path');

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('error: onnxruntime-node is not installed: run ' +
                '`ONNXRUNTIME_NODE_INSTALL=skip npm ci` in tools/ort (' +
                e.message + ')');
  process.exit(2);
}

// .npy descr <-> ONNX Runtime tensor type and typed array.
const DTYPES = {
  '<f2': ['float16', Uint16Array], '<f4': ['float32', Float32Array],
  '<f8': ['float64', Float64Array], '|i1': ['int8', Int8Array],
  '|u1': ['uint8', Uint8Array], '<i2': ['int16', Int16Array],
  '<u2': ['uint16', Uint16Array], '<i4': ['int32', Int32Array],
  '<u4': ['uint32', Uint32Array], '<i8': ['int64', BigInt64Array],
  '<u8': ['uint64', BigUint64Array], '|b1': ['bool', Uint8Array],
};
const DESCR_OF = {};
for (const [descr, [type]] of Object.entries(DTYPES)) DESCR_OF[type] = descr;

function fail(message) {
  console.error('error: ' + message);
  process.exit(1);
}

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 1, 6) !== 'NUMPY')
    fail(file + ': not a .npy file');
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) fail(file + ': malformed .npy header');
  if (fortran[1] === 'True') fail(file + ': fortran-order arrays unsupported');
  const entry = DTYPES[descr[1]];
  if (!entry) fail(file + ": unsupported dtype '" + descr[1] + "'");
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s)
    .map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const [type, ArrayType] = entry;
  const bytes = count * ArrayType.BYTES_PER_ELEMENT;
  const dataStart = start + headerLen;
  if (buf.length - dataStart !== bytes) fail(file + ': wrong data size');
  // Copy into a fresh, aligned buffer.
  const copy = new Uint8Array(bytes);
  copy.set(buf.subarray(dataStart, dataStart + bytes));
  const data = new ArrayType(copy.buffer);
  return new ort.Tensor(type, type === 'bool' ? Uint8Array.from(data, (v) => v ? 1 : 0) : data, dims);
}

function npyBytes(tensor) {
  const descr = DESCR_OF[tensor.type];
  if (!descr) throw new Error("unsupported output type '" + tensor.type + "'");
  const dims = tensor.dims;
  const shape = dims.length === 1 ? '(' + dims[0] + ',)' :
    '(' + dims.join(', ') + ')';
  let dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " +
    shape + ', }';
  const total = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  let data = tensor.data;
  if (tensor.type === 'bool') data = Uint8Array.from(data, (v) => v ? 1 : 0);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), body]);
}

// Same mapping as qlc-run's sanitizeFileName.
function sanitize(name) {
  let out = name.replace(/[^A-Za-z0-9._-]/g, '_');
  if (out === '' || out[0] === '.') out = '_' + out;
  return out;
}

function parseArgs(argv) {
  const opts = { inputs: [], outputDir: '', timeRuns: 0, threads: 1,
    graphOptimization: 'all' };
  for (let i = 0; i < argv.length; ++i) {
    // --opt=value or --opt value
    const eq = argv[i].startsWith('--') ? argv[i].indexOf('=') : -1;
    const a = eq < 0 ? argv[i] : argv[i].slice(0, eq);
    const value = () => {
      if (eq >= 0) return argv[i].slice(eq + 1);
      if (i + 1 >= argv.length) fail(a + ' needs a value');
      return argv[++i];
    };
    if (a === '--input') opts.inputs.push(value());
    else if (a === '--output-dir') opts.outputDir = value();
    else if (a === '--time-runs') opts.timeRuns = Number(value());
    else if (a === '--threads') opts.threads = Number(value());
    else if (a === '--graph-optimization') {
      opts.graphOptimization = value();
      if (!['disabled', 'basic', 'extended', 'all'].includes(
          opts.graphOptimization))
        fail('--graph-optimization must be disabled, basic, extended or all');
    }
    else if (a.startsWith('--')) fail('unknown option ' + a);
    else if (opts.model) fail('more than one model given');
    else opts.model = a;
  }
  if (!opts.model) fail('no model given');
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const session = await ort.InferenceSession.create(opts.model, {
    intraOpNumThreads: opts.threads, interOpNumThreads: 1,
    executionMode: 'sequential', logSeverityLevel: 3,
    graphOptimizationLevel: opts.graphOptimization,
  });
  const feeds = {};
  for (const spec of opts.inputs) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? session.inputNames[0] : spec.slice(0, eq);
    const file = eq < 0 ? spec : spec.slice(eq + 1);
    if (!session.inputNames.includes(name))
      fail(file + ": unknown input '" + name + "'");
    feeds[name] = readNpy(file);
  }
  for (const name of session.inputNames)
    if (!feeds[name]) fail(opts.model + ": missing input '" + name + "'");
  const results = await session.run(feeds);
  if (opts.timeRuns > 0) {
    // Wall time, and the process's CPU time (user + system), which other
    // processes on a busy machine do not inflate.
    const ms = [];
    const cpu = [];
    for (let i = 0; i < opts.timeRuns; ++i) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e3);
    }
    const median = (v) => {
      const s = [...v].sort((a, b) => a - b);
      const n = s.length;
      return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    };
    const wall = median(ms);
    const cpuMs = median(cpu);
    const first = feeds[session.inputNames[0]];
    const batch = first && first.dims.length ? first.dims[0] : 1;
    console.log('timing: ' + ms.length + ' runs, batch ' + batch +
                ', median ' + wall.toFixed(3) + ' ms (CPU ' +
                cpuMs.toFixed(3) + ' ms), min ' +
                Math.min(...ms).toFixed(3) + ' ms, ' +
                (batch * 1000 / wall).toFixed(1) + ' inferences/s (CPU ' +
                (batch * 1000 / cpuMs).toFixed(1) + ')');
    console.log('peak RSS: ' + process.resourceUsage().maxRSS + ' KiB');
  }
  if (opts.outputDir) {
    fs.mkdirSync(opts.outputDir, { recursive: true });
    for (const name of session.outputNames) {
      const file = path.join(opts.outputDir, sanitize(name) + '.npy');
      fs.writeFileSync(file + '.tmp', npyBytes(results[name]));
      fs.renameSync(file + '.tmp', file);
    }
  } else {
    for (const name of session.outputNames) {
      const t = results[name];
      console.log(name + ': ' + t.type + ' [' + t.dims.join(', ') + ']');
    }
  }
}

main().catch((e) => fail(e.message || String(e)));
