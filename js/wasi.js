// A minimal WASI preview-1 shim: exactly what Go's wasip1 runtime imports,
// nothing more. No file system: stdout/stderr go to the console, there are
// no arguments, no environment and no preopened directories.

const ESUCCESS = 0;
const EBADF = 8;
const ENOSYS = 52;
const ENOTCAPABLE = 76;

/** Thrown by proc_exit; the module must not be used afterwards. */
export class WasiExit extends Error {
  constructor(code) {
    super(`tenso: wasm module exited with code ${code}`);
    this.code = code;
  }
}

/**
 * @param {() => WebAssembly.Memory} memory returns the instance's memory
 * @returns {Record<string, Function>} the wasi_snapshot_preview1 namespace
 */
/** Names the shim implements (the tests check the module needs no other). */
export const WASI_FUNCTIONS = Object.freeze(Object.keys(shim(() => null)));

export function wasiImports(memory) {
  const fns = shim(memory);
  // Anything else Go's runtime might import in a later release answers
  // ENOSYS instead of failing to link.
  return new Proxy(fns, {
    get: (t, name) => (name in t ? t[name] : () => ENOSYS),
    has: () => true,
  });
}

function shim(memory) {
  const dv = () => new DataView(memory().buffer);
  const lines = { 1: "", 2: "" };
  const decoder = new TextDecoder();
  const now = () =>
    typeof performance !== "undefined" ? performance.now() : Date.now();
  const t0 = now();
  const epoch0 = BigInt(Date.now()) * 1000000n;

  return {
    args_sizes_get(argcPtr, bufSizePtr) {
      const v = dv();
      v.setUint32(argcPtr, 0, true);
      v.setUint32(bufSizePtr, 0, true);
      return ESUCCESS;
    },
    args_get() {
      return ESUCCESS;
    },
    environ_sizes_get(countPtr, bufSizePtr) {
      const v = dv();
      v.setUint32(countPtr, 0, true);
      v.setUint32(bufSizePtr, 0, true);
      return ESUCCESS;
    },
    environ_get() {
      return ESUCCESS;
    },
    clock_time_get(id, _precision, timePtr) {
      const ns =
        id === 0
          ? BigInt(Date.now()) * 1000000n
          : epoch0 + BigInt(Math.round((now() - t0) * 1e6));
      dv().setBigUint64(timePtr, ns, true);
      return ESUCCESS;
    },
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      const v = dv();
      let n = 0;
      let text = "";
      for (let i = 0; i < iovsLen; i++) {
        const ptr = v.getUint32(iovs + 8 * i, true);
        const len = v.getUint32(iovs + 8 * i + 4, true);
        text += decoder.decode(new Uint8Array(memory().buffer, ptr, len));
        n += len;
      }
      v.setUint32(nwrittenPtr, n, true);
      if (fd !== 1 && fd !== 2) return EBADF;
      const all = lines[fd] + text;
      const cut = all.lastIndexOf("\n");
      if (cut >= 0) {
        const out = all.slice(0, cut);
        (fd === 1 ? console.log : console.error)(out);
        lines[fd] = all.slice(cut + 1);
      } else {
        lines[fd] = all;
      }
      return ESUCCESS;
    },
    random_get(ptr, len) {
      const buf = new Uint8Array(memory().buffer, ptr, len);
      for (let i = 0; i < len; i += 65536) {
        globalThis.crypto.getRandomValues(buf.subarray(i, Math.min(len, i + 65536)));
      }
      return ESUCCESS;
    },
    proc_exit(code) {
      throw new WasiExit(code);
    },
    sched_yield() {
      return ESUCCESS;
    },
    poll_oneoff(inPtr, outPtr, nsubs, neventsPtr) {
      // Every subscription fires at once: the module never blocks.
      const v = dv();
      for (let i = 0; i < nsubs; i++) {
        const sub = inPtr + 48 * i;
        const ev = outPtr + 32 * i;
        v.setBigUint64(ev, v.getBigUint64(sub, true), true); // userdata
        v.setUint16(ev + 8, 0, true); // error
        v.setUint8(ev + 10, v.getUint8(sub + 8)); // type
        for (let j = 11; j < 32; j++) v.setUint8(ev + j, 0);
      }
      v.setUint32(neventsPtr, nsubs, true);
      return ESUCCESS;
    },
    fd_read(_fd, _iovs, _iovsLen, nreadPtr) {
      dv().setUint32(nreadPtr, 0, true); // stdin is empty
      return ESUCCESS;
    },
    fd_close() {
      return EBADF;
    },
    fd_fdstat_get(fd, ptr) {
      if (fd > 2) return EBADF;
      const v = dv();
      v.setUint8(ptr, 2); // character device
      v.setUint16(ptr + 2, 0, true);
      v.setBigUint64(ptr + 8, 0xffffffffn, true);
      v.setBigUint64(ptr + 16, 0xffffffffn, true);
      return ESUCCESS;
    },
    fd_fdstat_set_flags() {
      return ENOSYS;
    },
    path_open() {
      return ENOTCAPABLE; // no preopened directories
    },
    path_filestat_get() {
      return ENOTCAPABLE;
    },
    fd_prestat_get() {
      return EBADF;
    },
    fd_prestat_dir_name() {
      return EBADF;
    },
  };
}
