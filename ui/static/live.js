// Live views: the small models run here, in the visitor's page, with onnxruntime-web.
//
// Every view reads its widgets from the page, runs its model and draws on a canvas laid over the
// tab's image, on each move, without a Gradio event (ui/live.py explains the design). Until a
// view's model is loaded, or if it cannot be (no WebAssembly, a failed download), `drawing(view)`
// is false and the widgets' events go to the server as before.
//
// Seeds: torch.randn(n, generator=torch.Generator().manual_seed(seed)) is ported below (mt19937 and
// torch's normal_fill), so a seed gives the server's z; tests/test_live.py compares the pictures.

const ORT = "vendor/onnxruntime-web-1.30.0/";
const state = { ready: {}, failed: {}, drawn: {}, views: {} };
let base = "";                 // the app's URL + /genai/static/

// ----------------------------------------------------------------------------- torch's randn, ported

// at::mt19937: the standard Mersenne Twister, seeded with the seed's low 32 bits.
function mt19937(seed) {
  const mt = new Uint32Array(624);
  mt[0] = Number(BigInt.asUintN(32, BigInt(seed)));
  for (let i = 1; i < 624; i++) {
    const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
    mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
  }
  let index = 624;
  return function next() {
    if (index >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    let y = mt[index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
}

// torch's CPU normal_fill for float32 (n >= 16): n uniforms from 24 random bits, then Box-Muller
// on each block of 16 (the first 8 are u1, the next 8 u2); a tail shorter than 16 redraws the
// last 16 numbers. (n < 16 takes another path in torch; every latent here has 16 or more.)
function randn(n, seed) {
  if (n < 16) throw new Error("randn: the port covers n >= 16");
  const next = mt19937(seed);
  const uniform = () => Math.fround((next() & 0xffffff) * 2 ** -24);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = uniform();
  const fill16 = (at) => {
    for (let j = 0; j < 8; j++) {
      const u1 = 1 - data[at + j], u2 = data[at + j + 8];
      const radius = Math.sqrt(-2 * Math.log(u1)), theta = 2 * Math.PI * u2;
      data[at + j] = radius * Math.cos(theta);
      data[at + j + 8] = radius * Math.sin(theta);
    }
  };
  for (let i = 0; i + 16 <= n; i += 16) fill16(i);
  if (n % 16) {
    for (let i = n - 16; i < n; i++) data[i] = uniform();
    fill16(n - 16);
  }
  return data;
}

// ----------------------------------------------------------------------------- the runtime and the models

let runtime = null, meta = null;
const sessions = {};

function ort() {
  runtime ??= import(base + ORT + "ort.wasm.bundle.min.mjs").then((ort) => {
    ort.env.wasm.wasmPaths = { wasm: base + ORT + "ort-wasm-simd-threaded.wasm" };
    ort.env.wasm.numThreads = 1;        // threads need a cross-origin-isolated page
    return ort;
  });
  return runtime;
}

function live() {
  meta ??= fetch(base + "models/live.json").then((r) => {
    if (!r.ok) throw new Error(`live.json: HTTP ${r.status}`);
    return r.json();
  });
  return meta;
}

function session(name) {
  sessions[name] ??= ort().then((ort) => ort.InferenceSession.create(base + "models/" + name + ".onnx",
    { executionProviders: ["wasm"], graphOptimizationLevel: "all" }));
  return sessions[name];
}

async function run(name, feeds) {
  const ort = await runtime, model = await session(name);
  const tensors = {};
  for (const [key, [data, dims]] of Object.entries(feeds)) tensors[key] = new ort.Tensor(data, dims);
  const out = await model.run(tensors);
  return out.out.data;
}

function picture(x) {            // floats in [-1, 1] -> uint8 as genai.images.to_uint8 (half to even)
  const out = new Uint8ClampedArray(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = (Math.min(Math.max(x[i], -1), 1) + 1) * 127.5, r = Math.round(v);
    out[i] = r - v === 0.5 && r % 2 ? r - 1 : r;
  }
  return out;
}

// ----------------------------------------------------------------------------- reading widgets, drawing

const $ = (sel) => document.querySelector(sel);
const slider = (id) => Number($(`#${id} [data-testid=range-input]`)?.value);
function whole(id) {             // a gr.Number with precision 0: null while empty or not a number
  const text = $(`#${id} input`)?.value;
  const value = Number(text);
  return text === "" || text === undefined || !Number.isFinite(value) ? null : Math.trunc(value);
}
const radio = (id) => Number($(`#${id} input:checked`)?.value ?? NaN);

function setSlider(id, value) {  // as if the visitor moved it: Gradio's own value follows
  const input = $(`#${id} [data-testid=range-input]`);
  if (!input) return;
  input.value = String(value);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

// A canvas over the image of block `id` (the image itself turns transparent but stays, so its
// clicks and its download button still work); null until Gradio has put an image there.
function canvasOver(id, width, height, catchPointer = false) {
  const block = document.getElementById(id), img = block?.querySelector("img");
  if (!img || !img.offsetParent) return null;
  let canvas = block.querySelector("canvas.genai-live");
  if (!canvas || canvas.previousElementSibling !== img) {
    canvas?.remove();
    canvas = document.createElement("canvas");
    canvas.className = "genai-live";
    canvas.width = width;
    canvas.height = height;
    canvas.style.cssText = "position:absolute;object-fit:contain;image-rendering:pixelated;" +
      (catchPointer ? "cursor:crosshair;touch-action:none;" : "pointer-events:none;");
    img.after(canvas);
    if (getComputedStyle(img.parentElement).position === "static") img.parentElement.style.position = "relative";
  }
  Object.assign(canvas.style, { left: img.offsetLeft + "px", top: img.offsetTop + "px",
                                width: img.offsetWidth + "px", height: img.offsetHeight + "px" });
  img.style.opacity = "0";
  return canvas;
}

function drawGray(canvas, pixels, width, height, x = 0, y = 0) {
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(width, height);
  for (let i = 0; i < pixels.length; i++) {
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = pixels[i];
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, x, y);
}

function markDrawn(view) {
  const d = (state.drawn[view] ??= { count: 0, at: 0 });
  d.count += 1;
  d.at = performance.now();
}

// Both languages, as ui.i18n.both: the page's CSS shows its own, also after a language switch.
const both = (en, zh) => `<span class="genai-en">${en}</span><span class="genai-zh">${zh}</span>`;
const chinese = () => /(^|;\s*)genai-locale=zh/.test(document.cookie);
// The page's language, and a generated picture's file in it (as ui/live.py's `localized`): pictures
// with words in them come in each language, and a view redraws when the language changes.
const language = () => (chinese() ? "zh-CN" : "en");
const localized = (name, lang) => (lang === "en" ? name : name.replace(/(\.[^.]+)$/, `.${lang}$1`));

// A view whose tab has a "shipped / your fine-tuned model" switch (ui/finetune.py) draws here only
// while it says "shipped": the page holds the shipped model alone, so the visitor's own model is
// drawn by the server (the widgets' events go there) and the page's canvases step aside.
const shipped = (c) => !c.model_switch || ($(`#${c.model_switch} input:checked`)?.value ?? "shipped") === "shipped";

function stepAside(c) {          // remove this view's canvases: the server's pictures show again
  let removed = false;
  for (const id of [c.image, c.neighbours, c.map]) {
    const block = id && document.getElementById(id), canvas = block?.querySelector("canvas.genai-live");
    if (!canvas) continue;
    canvas.remove();
    const img = block.querySelector("img");
    if (img) img.style.opacity = "";
    removed = true;
  }
  return removed;
}

// ----------------------------------------------------------------------------- the views

const VIEWS = {
  // GAN tab: seed, digit, truncation and six GANSpace sliders -> G(z, y), D's verdict, neighbours.
  gan: {
    models: ["gan", "gan_critic"],
    read(c) {
      const seed = whole(c.seed), digit = radio(c.digit), trunc = slider(c.trunc);
      if (seed === null || seed < 0 || seed > c.seed_max || !(digit >= 0) || !Number.isFinite(trunc)) return null;
      return { seed, digit, trunc, pcs: c.pcs.map(slider) };
    },
    latent(seed, trunc, zDim) {        // GAN.latents: z * psi, in float32
      return randn(zDim, seed).map((v) => Math.fround(v * trunc));
    },
    async draw(c, s, meta, previous) {
      const zDim = meta.gan.z_dim;
      const x = await run("gan", { z: [this.latent(s.seed, s.trunc, zDim), [1, zDim]],
        y: [BigInt64Array.from([BigInt(s.digit)]), [1]], amounts: [Float32Array.from(s.pcs), [1, s.pcs.length]] });
      const digit = picture(x);
      const canvas = canvasOver(c.image, 28, 28);
      if (!canvas) return false;
      drawGray(canvas, digit, 28, 28);
      const p = (await run("gan_critic", { x: [Float32Array.from(digit, (v) => v / 127.5 - 1), [1, 1, 28, 28]],
        y: [BigInt64Array.from([BigInt(s.digit)]), [1]] }))[0];
      const text = $(`#${c.verdict} .md`);
      if (text) {
        const percent = Math.round(100 * p);
        // Both languages, as the server's verdict (ui.i18n.both): the page's CSS shows its own, so a
        // language switch after this picture needs no new verdict.
        text.innerHTML = `<p>${both(`<strong>D(x) = ${percent}%</strong>: the critic's probability that `
          + `this picture is a real handwritten ${s.digit}, not one of G's fakes.`,
          `<strong>D(x) = ${percent}%</strong>：判别器认为这张图是真实手写的 ${s.digit}（而不是 G 的伪造品）的概率。`)}</p>`;
      }
      if (!previous || previous.seed !== s.seed || previous.digit !== s.digit || previous.trunc !== s.trunc)
        await this.neighbours(c, s, zDim);
      return true;
    },
    async neighbours(c, s, zDim) {     // seeds +1 .. +8 in one batch, tiled like common.picture
      const n = c.neighbours_n, cols = c.neighbours_cols, rows = Math.ceil(n / cols);
      const z = new Float32Array(n * zDim);
      for (let i = 0; i < n; i++) z.set(this.latent(s.seed + 1 + i, s.trunc, zDim), i * zDim);
      const x = picture(await run("gan", { z: [z, [n, zDim]], y: [BigInt64Array.from({ length: n }, () => BigInt(s.digit)), [n]],
        amounts: [new Float32Array(n * c.pcs.length), [n, c.pcs.length]] }));
      const canvas = canvasOver(c.neighbours, cols * 30 + 2, rows * 30 + 2);
      if (!canvas) return;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < n; i++)
        drawGray(canvas, x.subarray(784 * i, 784 * (i + 1)), 28, 28, 2 + 30 * (i % cols), 2 + 30 * Math.floor(i / cols));
    },
  },

  // VAE tab, the 2-D map: x, y (sliders, or a click or drag on the map) -> the decoded digit and the marker.
  vae2d: {
    models: ["vae2d"],
    read(c) {
      const x = slider(c.x), y = slider(c.y);
      return Number.isFinite(x) && Number.isFinite(y) ? { x, y, lang: language() } : null;
    },
    async draw(c, s) {
      const x = picture(await run("vae2d", { z: [Float32Array.from([s.x, s.y]), [1, 2]] }));
      const canvas = canvasOver(c.image, 28, 28);
      if (!canvas) return false;
      drawGray(canvas, x, 28, 28);
      await this.mark(c, s);
      return true;
    },
    async mark(c, s) {                 // vae_tab.marked_map: a black-edged red cross on both panels
      const lang = s.lang || "en";
      (this.maps ??= {})[lang] ??= new Promise((resolve, reject) => {
        const img = new Image();
        img.onload = () => resolve(img);
        img.onerror = () => reject(new Error("the map picture did not load"));
        img.src = base + localized(c.map_picture, lang);
      });
      const map = await this.maps[lang], g = c.geometry;
      const canvas = canvasOver(c.map, map.width, map.height, true);
      if (!canvas) return;
      if (!canvas.dataset.wired) this.wire(c, canvas);
      const ctx = canvas.getContext("2d");
      ctx.drawImage(map, 0, 0);
      const clip = (v) => Math.min(Math.max(v, -g.span), g.span);
      const col = Math.round(g.edge + (clip(s.x) + g.span) * g.px_per_unit);
      const row = Math.round(g.edge + (g.span - clip(s.y)) * g.px_per_unit) + g.header;
      for (const left of [0, g.panel + g.gap])
        for (const [color, half] of [["#000000", 3], ["#ff2828", 1]]) {
          ctx.fillStyle = color;
          ctx.fillRect(left + col - g.arm, row - half, 2 * g.arm + 1, 2 * half + 1);
          ctx.fillRect(left + col - half, row - g.arm, 2 * half + 1, 2 * g.arm + 1);
        }
    },
    wire(c, canvas) {                  // click or drag on the map: vae_tab.point_at, in the page
      canvas.dataset.wired = "1";
      const g = c.geometry;
      const move = (event) => {
        const box = canvas.getBoundingClientRect();
        const scale = Math.min(box.width / canvas.width, box.height / canvas.height);
        let column = (event.clientX - box.left - (box.width - scale * canvas.width) / 2) / scale;
        const row = (event.clientY - box.top - (box.height - scale * canvas.height) / 2) / scale;
        if (column >= g.panel + g.gap) column -= g.panel + g.gap;
        const clip = (v) => Math.round(100 * Math.min(Math.max(v, -g.span), g.span)) / 100;
        setSlider(c.x, clip((Math.min(column, g.panel) - g.edge) / g.px_per_unit - g.span));
        setSlider(c.y, clip(g.span - (row - g.header - g.edge) / g.px_per_unit));
      };
      canvas.addEventListener("pointerdown", (event) => {
        canvas.setPointerCapture(event.pointerId);
        move(event);
      });
      canvas.addEventListener("pointermove", (event) => { if (event.buttons) move(event); });
    },
  },

  // VAE tab, sixteen sliders -> the 16-D VAE's digit.
  vae16: {
    models: ["vae"],
    read(c) {
      const z = c.sliders.map(slider);
      return z.every(Number.isFinite) ? { z } : null;
    },
    async draw(c, s) {
      const x = picture(await run("vae", { z: [Float32Array.from(s.z), [1, s.z.length]] }));
      const canvas = canvasOver(c.image, 28, 28);
      if (!canvas) return false;
      drawGray(canvas, x, 28, 28);
      return true;
    },
  },

  // Diffusion tab, forward: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, eps seeded by the index.
  forward: {
    models: [],
    read(c) {
      const index = slider(c.index), t = slider(c.t);
      return Number.isInteger(index) && Number.isInteger(t) ? { index, t, lang: language() } : null;
    },
    async prepare(c, meta) {
      this.digits ??= new Promise((resolve, reject) => {
        const img = new Image();
        img.onload = () => {
          const canvas = document.createElement("canvas");
          canvas.width = img.width;
          canvas.height = img.height;
          const ctx = canvas.getContext("2d");
          ctx.drawImage(img, 0, 0);
          resolve(ctx.getImageData(0, 0, img.width, img.height).data);
        };
        img.onerror = () => reject(new Error("the held-out digits did not load"));
        img.src = base + "models/heldout.png";
      });
      await Promise.all([this.digits, this.plot(c, language())]);
    },
    plot(c, lang) {                     // the schedule plot in the page's language, loaded once each
      (this.plots ??= {})[lang] ??= fetch(base + localized(c.plot, lang)).then((r) => {
        if (!r.ok) throw new Error(`schedule plot: HTTP ${r.status}`);
        return r.json();
      }).then((plot) => new Promise((resolve, reject) => {
        const img = new Image();
        img.onload = () => resolve({ ...plot, img });
        img.onerror = () => reject(new Error("the schedule plot did not load"));
        img.src = plot.picture;
      }));
      return this.plots[lang];
    },
    async draw(c, s, meta) {
      const rgba = await this.digits, n = meta.diffusion.heldout, T = meta.diffusion.T;
      if (s.index < 0 || s.index >= n || s.t < 0 || s.t >= T) return false;
      const eps = randn(784, s.index);
      const a = Math.fround(meta.diffusion.alpha_bar[s.t]);
      const signal = Math.fround(Math.sqrt(a)), noise = Math.fround(Math.sqrt(Math.fround(1 - a)));
      const x = new Float32Array(784);
      for (let r = 0; r < 28; r++)
        for (let q = 0; q < 28; q++) {
          const x0 = Math.fround(rgba[4 * (r * 28 * n + 28 * s.index + q)] / 127.5 - 1);
          x[28 * r + q] = Math.fround(Math.fround(signal * x0) + Math.fround(noise * eps[28 * r + q]));
        }
      const canvas = canvasOver(c.image, 28, 28);
      if (!canvas) return false;
      drawGray(canvas, picture(x), 28, 28);
      const box = $(`#${c.alpha_bar} input`);
      if (box) box.value = String(Math.round(meta.diffusion.alpha_bar[s.t] * 1e4) / 1e4);
      const plot = await this.plot(c, s.lang || "en"), graph = canvasOver(c.plot_image, plot.img.width, plot.img.height);
      if (graph) {                      // diffusion_tab._plot_marker: a red line at t, a dot on each curve
        const ctx = graph.getContext("2d"), col = plot.cols[s.t];
        ctx.drawImage(plot.img, 0, 0);
        ctx.fillStyle = "rgb(214,39,40)";
        ctx.fillRect(col - 1, plot.top, 2, plot.bottom - plot.top);
        for (const row of [plot.signal_rows[s.t], plot.noise_rows[s.t]]) {
          const top = Math.max(row - 4, 0), left = Math.max(col - 4, 0);
          ctx.fillRect(left, top, col + 5 - left, row + 5 - top);
        }
      }
      return true;
    },
  },
};

// ----------------------------------------------------------------------------- running a view

// 14 px at least, and dark enough, for the projector (tests/test_projector.py's bar).
function notice(element, en, zh) {
  const box = element.querySelector(".genai-live-notice") || element;
  box.innerHTML = both(en, zh);
  box.style.cssText = "font-size:max(14px, 0.875em);padding:2px 0;";
}

async function prepare(name, config, element) {
  const view = VIEWS[name];
  try {
    if (typeof WebAssembly !== "object") throw new Error("this browser has no WebAssembly");
    const meta = await live();
    if (JSON.stringify(meta.checkpoints) !== JSON.stringify(config.checkpoints))
      throw new Error("the page's models were exported from other checkpoints than the server's");
    if (view.models.length) await ort();
    await Promise.all(view.models.map(session));
    if (view.prepare) await view.prepare(config, meta);
    return meta;
  } catch (error) {
    state.failed[name] = String(error?.message || error);
    console.warn(`genai: the ${name} view is drawn by the server (${state.failed[name]})`);
    notice(element, "(This page could not load the model; the server draws instead.)",
           "（本页无法运行模型，改由服务器绘制。）");
    return null;
  }
}

const visible = (id) => Boolean(document.getElementById(id)?.offsetParent);

export async function start(config, element, root) {
  base = root + config.prefix;
  const name = config.view, view = VIEWS[name];
  state.views[name] = config;
  // Wait until the view is on screen: a tab nobody opens downloads nothing.
  while (!visible(config.image)) await new Promise((resolve) => setTimeout(resolve, 250));
  const meta = await prepare(name, config, element);
  if (!meta) return;
  let shown = null, previous = null, busy = false, broken = false;
  const update = async () => {
    if (busy || broken) return;
    if (!shipped(config)) {
      if (stepAside(config)) shown = previous = null;      // drawn afresh when the switch comes back
      return;
    }
    const settings = view.read(config);
    if (!settings) return;
    const key = JSON.stringify(settings);
    if (key === shown) return;
    busy = true;
    let drew = false;
    try {
      if (await view.draw(config, settings, meta, previous)) {
        drew = true;
        shown = key;
        previous = settings;
        state.ready[name] = true;
        markDrawn(name);
      }
    } catch (error) {                       // for good: the widgets' events go to the server now
      broken = true;
      state.ready[name] = false;
      state.failed[name] = String(error?.message || error);
      console.warn(`genai: the ${name} view failed, the server takes over:`, error);
    } finally {
      busy = false;
    }
    // Settings that changed while drawing. Only after a drawing: a view with nothing to draw on (its
    // tab hidden, say after a language switch) would otherwise retry in a loop that never yields.
    if (drew && state.ready[name]) update();
  };
  // A key or a drag draws at once; the frame loop catches what changes without an input event
  // (presets, links, Reset, the dice) and an image Gradio replaced under the canvas.
  document.addEventListener("input", () => update(), true);
  const loop = () => {
    if (!visible(config.image)) return requestAnimationFrame(loop);     // another tab: nothing to draw
    const canvas = document.getElementById(config.image)?.querySelector("canvas.genai-live");
    if (state.ready[name] && (!canvas || !canvas.isConnected || canvas.previousElementSibling?.tagName !== "IMG")) shown = null;
    update();
    requestAnimationFrame(loop);
  };
  loop();
}

// What the page's event gates and the tests read.
const api = {
  // A value the page cannot use (a seed out of range, a cleared box) goes to the server, which
  // answers with its own words, in the page's language.
  drawing: (name) => state.ready[name] === true && shipped(state.views[name])
    && VIEWS[name].read(state.views[name]) !== null,
  state,
  randn,
  // Draw a view for the given settings at once (tests compare the canvas with the server's PNG).
  async render(name, settings) {
    const view = VIEWS[name], config = state.views[name];
    if (!(await view.draw(config, settings, await live(), null))) throw new Error(`${name}: nothing to draw on`);
    markDrawn(name);
    const canvas = document.getElementById(config.image).querySelector("canvas.genai-live");
    return Array.from(canvas.getContext("2d").getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0));
  },
};
window.genaiLive ??= api;
