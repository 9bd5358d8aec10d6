// vbpsim contract explorer: builds the controls from GET api/scenario, sends the changed
// settings to POST api/evaluate and renders the decision, the plane, the contracts, the budget
// impact and the exact tables. Plain ES2020, no dependencies, nothing loaded from the network.
'use strict';

(() => {
  // Relative URLs: the page, the script and the API are served from the same root.
  const API = { scenario: 'api/scenario', evaluate: 'api/evaluate', layer: 'api/layer' };
  const DEBOUNCE_MS = 200;
  const UNITS = ['days', 'weeks', 'months', 'years'];
  const MINUS = '\u2212';
  const NBSP = '\u00a0';
  const DASH = '\u2013'; // shown for empty cells
  // The SVG namespace, taken from a parsed <svg> so that these files contain no URL at all.
  const SVG_NS = (() => {
    const holder = document.createElement('div');
    holder.innerHTML = '<svg></svg>';
    return holder.firstChild.namespaceURI;
  })();
  // Muted, colour-blind-friendly hues; the list contract keeps a neutral grey.
  const PALETTE = ['#2f6690', '#c0692a', '#3a8a6e', '#8a5a9e', '#b23a55', '#6b8e23', '#4c6ed1', '#a07a1a', '#2c8c99', '#7a4e2d'];
  const NEUTRAL = '#7b8790';
  const EXACT_ORDER = ['summary', 'nmb', 'contracts', 'threshold_prices', 'budget_impact'];

  const $ = (id) => document.getElementById(id);

  const state = {
    scenario: null,
    currency: '',
    controls: new Map(), // key -> control object (see makeControl)
    // One id per page load, so the server can tell this page's requests from another tab's.
    client: Math.random().toString(36).slice(2) + Date.now().toString(36),
    generation: 0, // last generation sent
    inflight: null, // {gen, body, settingsJson, t0, controller}
    debounceTimer: 0,
    scheduledT0: 0,
    hasResults: false,
    colours: new Map(),
    aliases: new Map(), // arm contract name -> contract name, when one contract has it (list -> list_price)
    layerUrl: '',
    last: null, // the last rendered response, to redraw the charts on resize
  };

  // ---------------------------------------------------------------------------------------
  // Small DOM helpers
  // ---------------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svg(tag, attrs, children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.setAttribute('class', v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function append(node, children) {
    if (children === undefined || children === null) return;
    for (const c of Array.isArray(children) ? children : [children]) {
      if (c === undefined || c === null || c === false) continue;
      node.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Number formatting for the readable views (the exact tables are never formatted)
  // ---------------------------------------------------------------------------------------

  function toNumber(v) {
    if (v === null || v === undefined) return NaN;
    if (typeof v === 'number') return v;
    const s = String(v).trim();
    return s === '' ? NaN : Number(s);
  }

  // Thousands separators, a real minus sign, and no "−0" after rounding.
  function grouped(x, decimals) {
    const s = Math.abs(x).toLocaleString('en-US', {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
    return x < 0 && /[1-9]/.test(s) ? MINUS + s : s;
  }

  function fmtMoney(v, withCode) {
    const x = toNumber(v);
    if (!Number.isFinite(x)) return DASH;
    const decimals = Math.abs(x) >= 100 || Number.isInteger(x) ? 0 : 2;
    const s = grouped(x, decimals);
    return withCode && state.currency ? s + NBSP + state.currency : s;
  }

  function fmtQaly(v) {
    const x = toNumber(v);
    if (!Number.isFinite(x)) return DASH;
    return grouped(x, Math.abs(x) < 1 ? 4 : 3);
  }

  function fmtPct(v) {
    const x = toNumber(v);
    if (!Number.isFinite(x)) return DASH;
    return grouped(100 * x, 1) + NBSP + '%';
  }

  function fmtThreshold(t) {
    const x = toNumber(t);
    if (!Number.isFinite(x)) return String(t);
    return grouped(x, 0) + NBSP + (state.currency ? state.currency + '/QALY' : 'per QALY');
  }

  function words(s) {
    return String(s).replace(/_/g, ' ');
  }

  // Ticks at 1, 2 or 5 × 10^k, the domain widened to whole ticks.
  function niceScale(lo, hi, count) {
    if (!(hi > lo)) {
      const pad = Math.abs(lo) || 1;
      lo -= pad;
      hi += pad;
    }
    const raw = (hi - lo) / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / mag;
    const step = (f >= 7.5 ? 10 : f >= 3.5 ? 5 : f >= 1.5 ? 2 : 1) * mag;
    const start = Math.floor(lo / step + 1e-9) * step;
    const end = Math.ceil(hi / step - 1e-9) * step;
    const ticks = [];
    for (let v = start; v <= end + step / 2; v += step) ticks.push(Math.abs(v) < step / 1e6 ? 0 : v);
    const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    return { lo: start, hi: end, ticks, decimals };
  }

  // ---------------------------------------------------------------------------------------
  // Contract colours: stable for the whole session, shared by every view
  // ---------------------------------------------------------------------------------------

  function colourFor(name) {
    const key = state.aliases.get(name) || name;
    if (!state.colours.has(key)) {
      const used = [...state.colours.values()].filter((c) => c !== NEUTRAL).length;
      state.colours.set(key, PALETTE[used % PALETTE.length]);
    }
    return state.colours.get(key);
  }

  function initColours(contracts) {
    for (const c of contracts || []) {
      if (c.kind === 'list') {
        state.colours.set(c.name, NEUTRAL);
      } else {
        colourFor(c.name);
      }
    }
    if (!state.colours.has('list')) state.colours.set('list', NEUTRAL);
  }

  // Arms under the list contract are called "list" in some tables: show the contract's name.
  function displayContract(name) {
    return state.aliases.get(name) || name;
  }

  function swatch(name) {
    return el('span', { class: 'swatch', style: `background:${colourFor(name)}`, 'aria-hidden': 'true' });
  }

  // ---------------------------------------------------------------------------------------
  // Controls
  // ---------------------------------------------------------------------------------------

  let idCounter = 0;
  const nextId = (prefix) => `${prefix}-${++idCounter}`;

  function parseDuration(text, spec) {
    const m = /^\s*([-+]?[0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*([a-z]+)\s*$/i.exec(text || '');
    if (m) return { number: m[1], unit: m[2].toLowerCase() };
    return { number: spec.number !== undefined ? String(spec.number) : '', unit: spec.unit || 'months' };
  }

  // A slider step when the spec gives none: about 200 positions over the range.
  function sliderStep(spec) {
    if (spec.step !== undefined && spec.step !== null && Number(spec.step) > 0) return Number(spec.step);
    const raw = (Number(spec.max) - Number(spec.min)) / 200;
    if (!(raw > 0)) return 1;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    return raw / mag >= 5 ? 5 * mag : raw / mag >= 2 ? 2 * mag : mag;
  }

  // The slider's value as short text ("0.15", not "0.15000000000000002").
  function sliderText(value, step) {
    // As many decimals as the step has (0.25 → 2), read from its text form.
    const text = String(step);
    const decimals = /e/i.test(text)
      ? Math.max(0, Math.min(12, -Math.floor(Math.log10(step) - 1e-9)))
      : Math.min(12, (text.split('.')[1] || '').length);
    return String(Number(Number(value).toFixed(decimals)));
  }

  // A slider writes its value into the number field it sits beside: dragging updates the
  // field (debounced evaluation), letting go evaluates at once.
  function followSlider(slider, input, ctl) {
    slider.addEventListener('input', () => {
      input.value = sliderText(slider.value, slider._step);
      edited(ctl, false);
    });
    slider.addEventListener('change', () => edited(ctl, true));
  }

  function makeSlider(spec, labelText) {
    if (spec.min === undefined || spec.min === null || spec.max === undefined || spec.max === null) return null;
    const step = sliderStep(spec);
    const slider = el('input', {
      type: 'range',
      min: spec.min,
      max: spec.max,
      step,
      class: 'slider',
      'aria-label': `${labelText} (slider)`,
    });
    slider._step = step;
    return slider;
  }

  function makeControl(spec) {
    const id = nextId('ctl');
    const helpId = spec.help ? id + '-help' : null;
    const type = spec.type;
    const initial = spec.value === undefined || spec.value === null ? '' : String(spec.value);
    const label = spec.label || spec.key;
    const ctl = { spec, key: spec.key, type, initial, inputs: [] };

    const row = el('div', { class: `control control-${type}`, 'data-control': spec.key });
    const head = el('div', { class: 'control-head' });
    const labelEl = el('label', { for: id, id: id + '-label', title: spec.key, text: label });
    const was = el('span', { class: 'was', title: `initial value: ${initial}` });
    const reset = el('button', {
      type: 'button',
      class: 'link reset',
      'data-reset-for': spec.key,
      title: `Reset to ${initial || 'empty'}`,
      text: 'reset',
    });
    reset.addEventListener('click', () => {
      ctl.set(initial);
      edited(ctl, true);
    });
    const body = el('div', { class: 'control-body' });
    const describe = (node) => helpId && node.setAttribute('aria-describedby', helpId);

    if (type === 'number') {
      const input = el('input', { type: 'number', id, 'data-key': spec.key, step: spec.step || 'any', inputmode: 'decimal' });
      input.value = initial;
      describe(input);
      const slider = makeSlider(spec, label);
      body.append(input);
      if (slider) {
        slider.value = initial;
        body.append(slider);
        followSlider(slider, input, ctl);
      }
      input.addEventListener('input', () => {
        // A field cleared to type a new number is not sent until it has one (or loses focus).
        if (input.value === '') return refreshControls();
        if (slider) slider.value = input.value;
        edited(ctl, false);
      });
      input.addEventListener('change', () => edited(ctl, true));
      ctl.get = () => input.value.trim();
      ctl.set = (text) => {
        input.value = text;
        if (slider) slider.value = text;
      };
      ctl.inputs = slider ? [input, slider] : [input];
      ctl.focusEl = input;
    } else if (type === 'duration') {
      const init = parseDuration(initial, spec);
      const wrap = el('div', { class: 'duration', 'data-key': spec.key, role: 'group', 'aria-labelledby': id + '-label' });
      const input = el('input', { type: 'number', id, 'data-part': 'number', step: spec.step || 'any', inputmode: 'decimal' });
      input.value = init.number;
      describe(input);
      const unit = el('select', { 'data-part': 'unit', 'aria-label': `${label}: unit` });
      const units = UNITS.includes(init.unit) ? UNITS : UNITS.concat([init.unit]);
      for (const u of units) unit.append(el('option', { value: u, text: u }));
      unit.value = init.unit;
      wrap.append(input, unit);
      // The slider's range is in the spec's unit, so it only follows that unit.
      const slider = makeSlider(spec, label);
      const sliderUnit = spec.unit || init.unit;
      const syncSlider = () => {
        if (!slider) return;
        const usable = unit.value === sliderUnit && !ctl.disabled;
        slider.disabled = !usable;
        if (usable && input.value !== '') slider.value = input.value;
      };
      if (slider) {
        wrap.append(slider);
        followSlider(slider, input, ctl);
      }
      input.addEventListener('input', () => {
        if (input.value === '') return refreshControls();
        syncSlider();
        edited(ctl, false);
      });
      input.addEventListener('change', () => edited(ctl, true));
      unit.addEventListener('change', () => {
        syncSlider();
        edited(ctl, true);
      });
      body.append(wrap);
      ctl.get = () => `${input.value.trim()} ${unit.value}`;
      ctl.set = (text) => {
        const d = parseDuration(text, spec);
        input.value = d.number;
        if (![...unit.options].some((o) => o.value === d.unit)) unit.append(el('option', { value: d.unit, text: d.unit }));
        unit.value = d.unit;
        syncSlider();
      };
      ctl.syncSlider = syncSlider;
      ctl.inputs = slider ? [input, unit, slider] : [input, unit];
      ctl.focusEl = input;
      syncSlider();
    } else if (type === 'choice') {
      const select = el('select', { id, 'data-key': spec.key });
      const choices = (spec.choices || []).map(String);
      if (!choices.includes(initial)) choices.unshift(initial);
      for (const c of choices) select.append(el('option', { value: c, text: c }));
      select.value = initial;
      describe(select);
      select.addEventListener('change', () => edited(ctl, true));
      body.append(select);
      ctl.get = () => select.value;
      ctl.set = (text) => {
        select.value = text;
      };
      ctl.inputs = [select];
      ctl.focusEl = select;
    } else if (type === 'bool') {
      const box = el('input', { type: 'checkbox', id, 'data-key': spec.key });
      box.checked = initial.trim().toLowerCase() === 'true';
      describe(box);
      box.addEventListener('change', () => edited(ctl, true));
      // The checkbox sits before its label, as usual for check boxes.
      head.classList.add('bool-head');
      head.append(box);
      ctl.get = () => (box.checked ? 'true' : 'false');
      ctl.set = (text) => {
        box.checked = String(text).trim().toLowerCase() === 'true';
      };
      ctl.inputs = [box];
      ctl.focusEl = box;
    } else {
      // numbers, text and any type this page does not know: free text sent as typed.
      const input = el('input', { type: 'text', id, 'data-key': spec.key, spellcheck: 'false' });
      if (type === 'numbers') input.setAttribute('inputmode', 'decimal');
      input.value = initial;
      describe(input);
      input.addEventListener('input', () => edited(ctl, false));
      input.addEventListener('change', () => edited(ctl, true));
      body.append(input);
      ctl.get = () => input.value;
      ctl.set = (text) => {
        input.value = text;
      };
      ctl.inputs = [input];
      ctl.focusEl = input;
    }

    head.append(labelEl, was, reset);
    row.append(head);
    if (body.childNodes.length) row.append(body);
    if (spec.help) row.append(el('p', { class: 'help', id: helpId, text: spec.help }));

    // Unchanged means the same text, or for numbers the same value ("0.20" is still 0.2).
    ctl.isChanged = () => {
      const cur = ctl.get();
      if (cur === initial) return false;
      if (type === 'number') {
        const a = toNumber(cur);
        const b = toNumber(initial);
        return !(Number.isFinite(a) && a === b);
      }
      if (type === 'duration') {
        const a = parseDuration(cur, spec);
        const b = parseDuration(initial, spec);
        return !(a.unit === b.unit && toNumber(a.number) === toNumber(b.number));
      }
      if (type === 'bool') return cur !== (initial.trim().toLowerCase() === 'true' ? 'true' : 'false');
      return true;
    };
    ctl.row = row;
    ctl.was = was;
    ctl.disabled = false;
    return ctl;
  }

  function buildControls(sections) {
    const form = $('controls');
    form.replaceChildren();
    state.controls.clear();
    for (const section of sections || []) {
      const details = el('details', { class: 'section', open: true });
      const count = el('span', { class: 'section-changed' });
      details.append(el('summary', {}, [el('span', { class: 'section-title', text: section.title }), count]));
      const list = [];
      for (const spec of section.controls || []) {
        const ctl = makeControl(spec);
        ctl.section = details;
        state.controls.set(spec.key, ctl);
        details.append(ctl.row);
        list.push(ctl);
      }
      details._controls = list;
      details._count = count;
      form.append(details);
    }
    refreshControls();
  }

  // Changed marks, enabled_when and the counts, after any edit.
  function refreshControls() {
    for (const ctl of state.controls.values()) {
      const rule = ctl.spec.enabled_when;
      let enabled = true;
      if (rule && rule.key) {
        const other = state.controls.get(rule.key);
        enabled = !other || other.get() === String(rule.value);
      }
      ctl.disabled = !enabled;
      for (const input of ctl.inputs) input.disabled = !enabled;
      if (ctl.syncSlider) ctl.syncSlider();
      ctl.row.classList.toggle('disabled', !enabled);
      if (!enabled && rule) ctl.row.title = `Applies only when ${rule.key} is ${rule.value}`;
      else ctl.row.removeAttribute('title');
      const changed = ctl.isChanged();
      ctl.row.classList.toggle('changed', changed);
      ctl.was.textContent = changed ? `was ${ctl.initial === '' ? '(empty)' : ctl.initial}` : '';
    }
    let total = 0;
    for (const details of $('controls').querySelectorAll('details.section')) {
      const n = details._controls.filter((c) => c.isChanged()).length;
      total += n;
      details._count.textContent = n ? `${n} changed` : '';
    }
    $('changed-count').textContent = total === 0 ? 'No settings changed' : total === 1 ? '1 setting changed' : `${total} settings changed`;
    $('reset-all').disabled = total === 0;
  }

  // What the server gets: every enabled control whose value differs from its initial value.
  // A disabled control (enabled_when not met) is left out: it does not apply.
  function currentSettings() {
    const settings = {};
    for (const ctl of state.controls.values()) {
      if (!ctl.disabled && ctl.isChanged()) settings[ctl.key] = ctl.get();
    }
    return settings;
  }

  function edited(ctl, immediate) {
    const t0 = performance.now();
    clearErrorFor(ctl.key);
    refreshControls();
    scheduleEvaluation(immediate, t0);
  }

  // ---------------------------------------------------------------------------------------
  // Errors and banner
  // ---------------------------------------------------------------------------------------

  function clearErrorFor(key) {
    const ctl = state.controls.get(key);
    if (!ctl) return;
    for (const p of ctl.row.querySelectorAll('.error')) p.remove();
    ctl.row.classList.remove('invalid');
    for (const input of ctl.inputs) input.removeAttribute('aria-invalid');
  }

  function clearErrors() {
    for (const key of state.controls.keys()) clearErrorFor(key);
    showBanner([]);
  }

  function showErrors(errors) {
    clearErrors();
    const general = [];
    for (const e of errors || []) {
      const message = e && e.message ? String(e.message) : 'invalid settings';
      const ctl = e && e.key ? state.controls.get(e.key) : null;
      if (!ctl) {
        general.push(e && e.key ? `${e.key}: ${message}` : message);
        continue;
      }
      const p = el('p', { class: 'error', 'data-error-for': ctl.key, id: nextId('err'), text: message });
      const help = ctl.row.querySelector('.help');
      ctl.row.insertBefore(p, help ? help.nextSibling : null);
      ctl.row.classList.add('invalid');
      for (const input of ctl.inputs) input.setAttribute('aria-invalid', 'true');
      ctl.section.open = true;
    }
    showBanner(general);
  }

  function showBanner(messages) {
    const banner = $('banner');
    banner.replaceChildren();
    if (!messages.length) {
      banner.hidden = true;
      return;
    }
    if (messages.length === 1) banner.append(el('p', { text: messages[0] }));
    else banner.append(el('ul', {}, messages.map((m) => el('li', { text: m }))));
    banner.hidden = false;
  }

  function showWarnings(warnings) {
    const list = $('warnings');
    list.replaceChildren(...(warnings || []).map((w) => el('li', { text: w })));
    list.hidden = !list.childNodes.length;
  }

  // ---------------------------------------------------------------------------------------
  // Evaluation: debounce, abort, generations, retries
  // ---------------------------------------------------------------------------------------

  function setPending() {
    document.body.dataset.state = 'pending';
    $('results').classList.add('stale');
    $('results').setAttribute('aria-busy', 'true');
    $('status').textContent = state.hasResults ? 'Evaluating…' : 'Evaluating the scenario…';
  }

  function scheduleEvaluation(immediate, t0) {
    clearTimeout(state.debounceTimer);
    state.scheduledT0 = t0;
    setPending();
    if (immediate) sendEvaluation(t0);
    else state.debounceTimer = setTimeout(() => sendEvaluation(state.scheduledT0), DEBOUNCE_MS);
  }

  function sendEvaluation(t0) {
    clearTimeout(state.debounceTimer);
    const settings = currentSettings();
    const settingsJson = JSON.stringify(settings);
    // The same settings are already on their way (an `input` then its `change`): wait for them.
    if (state.inflight && state.inflight.settingsJson === settingsJson) return;
    if (state.inflight) state.inflight.controller.abort();
    const gen = ++state.generation;
    const req = {
      gen,
      t0,
      settingsJson,
      body: JSON.stringify({ client: state.client, generation: gen, settings }),
      controller: new AbortController(),
    };
    state.inflight = req;
    postEvaluation(req);
  }

  async function postEvaluation(req) {
    let resp;
    let data = null;
    try {
      resp = await fetch(API.evaluate, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: req.body,
        signal: req.controller.signal,
        cache: 'no-store',
      });
      data = await resp.json().catch(() => null);
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (req.gen !== state.generation) return;
      state.inflight = null;
      failed(['server not reachable']);
      return;
    }
    // Only the latest request counts; anything older is history.
    if (req.gen !== state.generation) return;
    if (resp.status === 409 || (data && data.superseded)) {
      // Nothing newer is on its way from this page, so forget it: the next change sends again.
      state.inflight = null;
      return;
    }
    if (resp.status === 503 || (data && data.busy)) {
      const wait = data && Number(data.retry_after_ms) >= 0 ? Number(data.retry_after_ms) : 250;
      setTimeout(() => {
        if (req.gen === state.generation && state.inflight === req) postEvaluation(req);
      }, wait);
      return;
    }
    state.inflight = null;
    if (resp.ok && data && data.ok) {
      try {
        render(data, req);
      } catch (err) {
        console.error(err);
        failed([`could not display the results: ${err && err.message ? err.message : err}`]);
      }
      return;
    }
    const errors = data && Array.isArray(data.errors) && data.errors.length
      ? data.errors
      : [{ key: null, message: `evaluation failed (HTTP ${resp.status})` }];
    showErrors(errors);
    failedState();
  }

  function failed(messages) {
    clearErrors();
    showBanner(messages);
    failedState();
  }

  function failedState() {
    document.body.dataset.state = 'error';
    $('results').classList.add('stale');
    $('results').setAttribute('aria-busy', 'false');
    $('status').textContent = state.hasResults
      ? 'Evaluation failed · showing the last results'
      : 'Evaluation failed';
  }

  // ---------------------------------------------------------------------------------------
  // Rendering one evaluation
  // ---------------------------------------------------------------------------------------

  function render(res, req) {
    if (res.currency) state.currency = res.currency;
    const tables = res.tables || {};
    const contracts = tableRows(tables.contracts);
    // Arms are named by arm contract ("list"); show the contract's own name where only one
    // contract goes by it (several list-price contracts can share the "list" arm).
    const byArm = new Map();
    for (const r of contracts) {
      if (!r.contract || !r.arm_contract) continue;
      if (!byArm.has(r.arm_contract)) byArm.set(r.arm_contract, new Set());
      byArm.get(r.arm_contract).add(r.contract);
    }
    state.aliases = new Map();
    for (const [arm, names] of byArm) if (names.size === 1 && !names.has(arm)) state.aliases.set(arm, [...names][0]);
    clearErrors();
    showWarnings(res.warnings);
    renderDecision(res);
    renderPlane(res);
    renderArms(tableRows(tables.summary));
    renderContracts(res, contracts, tableRows(tables.threshold_prices));
    renderBudget(tables.budget_impact);
    renderExact(tables);

    state.hasResults = true;
    state.last = res;
    $('results').classList.remove('stale');
    $('results').setAttribute('aria-busy', 'false');
    const ms = Math.max(0, Math.round(performance.now() - req.t0));
    const patients = res.patients !== undefined ? res.patients : state.scenario && state.scenario.patients;
    const seed = res.seed !== undefined ? res.seed : state.scenario && state.scenario.seed;
    $('status').textContent = `Updated in ${ms} ms · ${grouped(Number(patients), 0)} patients · seed ${seed}`;
    document.body.dataset.generation = String(req.gen);
    document.body.dataset.latencyMs = String(ms);
    document.body.dataset.state = 'ready';
  }

  // A table as objects by column name, the deterministic rows only when a basis column
  // mixes base case and PSA rows (the readable views show the base case).
  function tableRows(table) {
    if (!table || !Array.isArray(table.columns) || !Array.isArray(table.rows)) return [];
    const cols = table.columns;
    let rows = table.rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i] === undefined || r[i] === null ? '' : String(r[i])])));
    if (cols.includes('basis') && rows.some((r) => r.basis === 'deterministic')) {
      rows = rows.filter((r) => r.basis === 'deterministic');
    }
    return rows;
  }

  function numCell(text, extraClass) {
    return el('td', { class: extraClass ? `num ${extraClass}` : 'num', text });
  }

  function contractName(name) {
    return el('span', { class: 'contract-name' }, [swatch(name), el('span', { text: name })]);
  }

  function armLabel(arm) {
    const [strategy, contract] = String(arm).split('/');
    if (contract === undefined) return el('span', { class: 'arm', text: arm });
    return el('span', { class: 'arm' }, [
      el('span', { class: 'arm-strategy', text: strategy }),
      el('span', { class: 'arm-sep', text: ' / ' }),
      el('span', { class: 'arm-contract', text: contract }),
    ]);
  }

  function isComparatorArm(res, arm) {
    return String(arm).split('/')[0] === res.comparator;
  }

  // The origin of the plane: one comparator arm, or the comparator under each arm's contract.
  function reference(res) {
    const refs = new Set((res.plane || []).map((p) => p.reference).filter(Boolean));
    if (refs.size === 1) return [...refs][0];
    return res.comparator ? `${res.comparator} (under the same contract)` : 'the comparator';
  }

  // (a) the decision: best arm per threshold, the headline, the rankings.
  function renderDecision(res) {
    const cards = (res.best || []).map((b, i) => {
      const isRef = isComparatorArm(res, b.arm);
      return el('div', { class: i === 0 ? 'best-card first' : 'best-card' }, [
        el('p', { class: 'best-threshold', text: `At ${fmtThreshold(b.threshold)}` }),
        el('p', { class: 'best-arm' }, [armLabel(b.arm), isRef ? el('span', { class: 'tag', text: 'comparator' }) : null]),
        el('dl', { class: 'best-figures' }, [
          el('dt', { text: 'Net monetary benefit' }),
          el('dd', { text: fmtMoney(b.nmb, true) }),
          el('dt', { text: 'Incremental NMB' }),
          el('dd', { text: fmtMoney(b.inc_nmb, true) }),
        ]),
      ]);
    });
    $('best-cards').replaceChildren(...cards);

    const lines = (res.headline || []).map((s) => String(s).trim()).filter(Boolean);
    $('headline').replaceChildren(
      ...lines.map((s) => el('li', { class: /^caution/i.test(s) ? 'caution' : /:$/.test(s) ? 'lead' : null, text: s }))
    );
    $('headline').hidden = !lines.length;

    const ranking = res.ranking || [];
    const box = $('ranking');
    box.replaceChildren();
    $('ranking-heading').hidden = !ranking.length;
    $('ranking-note').hidden = !ranking.length;
    if (!ranking.length) return;
    // One small table per strategy whose contracts are ranked (usually just one).
    const strategies = [...new Set(ranking.map((r) => r.strategy))];
    for (const strategy of strategies) {
      const block = el('div', { class: 'ranking-block' });
      if (strategies.length > 1) block.append(el('h4', { text: strategy }));
      block.append(rankingTable(ranking.filter((r) => r.strategy === strategy)));
      box.append(block);
    }
  }

  function rankingTable(ranking) {
    const cols = ranking.map((r) => ({ head: `Payer at ${fmtThreshold(r.threshold)}`, list: r.payer || [] }));
    // The manufacturer's order does not depend on the threshold: one column unless it does.
    const seen = new Map();
    for (const r of ranking) {
      const k = JSON.stringify(r.manufacturer || []);
      if (!seen.has(k)) seen.set(k, { r, thresholds: [] });
      seen.get(k).thresholds.push(r.threshold);
    }
    const manu = [...seen.values()];
    for (const { r, thresholds } of manu) {
      const head = manu.length > 1 ? `Manufacturer at ${thresholds.map(fmtThreshold).join(', ')}` : 'Manufacturer';
      cols.push({ head, list: r.manufacturer || [], manufacturer: true });
    }
    const depth = Math.max(0, ...cols.map((c) => c.list.length));
    const table = el('table', { class: 'readable ranking' });
    table.append(el('thead', {}, el('tr', {}, [
      el('th', { scope: 'col', class: 'rank', text: 'Rank' }),
      ...cols.map((c) => el('th', { scope: 'col', class: c.manufacturer ? 'manu' : null, text: c.head })),
    ])));
    const tbody = el('tbody');
    for (let i = 0; i < depth; i++) {
      tbody.append(el('tr', {}, [
        el('th', { scope: 'row', class: 'rank', text: String(i + 1) }),
        ...cols.map((c) => el('td', { class: c.manufacturer ? 'manu' : null }, c.list[i] !== undefined ? contractName(c.list[i]) : DASH)),
      ]));
    }
    table.append(tbody);
    return table;
  }

  // (b) the cost-effectiveness plane, drawn here as SVG.
  function renderPlane(res) {
    const points = (res.plane || [])
      .map((p) => ({ ...p, d_cost: toNumber(p.d_cost), d_qalys: toNumber(p.d_qalys) }))
      .filter((p) => Number.isFinite(p.d_cost) && Number.isFinite(p.d_qalys));
    const ref = reference(res);
    const thresholds = (res.thresholds || []).map(Number).filter(Number.isFinite);
    const bestArm = res.best && res.best[0] ? res.best[0].arm : null;
    // Drawn at the width it is shown at, so its text keeps the page's size.
    const W = chartWidth($('plane'), 560, 900);
    const H = Math.round(Math.min(480, Math.max(360, W * 0.56)));
    const m = { l: 82, r: 118, t: 24, b: 54 };
    const pw = W - m.l - m.r;
    const ph = H - m.t - m.b;

    // The origin is always in view; a little room around the points.
    const xs = points.map((p) => p.d_qalys).concat([0]);
    const ys = points.map((p) => p.d_cost).concat([0]);
    const pad = (lo, hi) => {
      const span = hi - lo || Math.abs(hi) || 1;
      return [lo - 0.08 * span, hi + 0.08 * span];
    };
    const sx = niceScale(...pad(Math.min(...xs), Math.max(...xs)), 6);
    const sy = niceScale(...pad(Math.min(...ys), Math.max(...ys)), 6);
    const X = (v) => m.l + ((v - sx.lo) / (sx.hi - sx.lo)) * pw;
    const Y = (v) => m.t + ph - ((v - sy.lo) / (sy.hi - sy.lo)) * ph;

    // Comparator arms sit at the origin by definition: one marker stands for them all.
    const atOrigin = (p) => p.arm === p.reference || (isComparatorArm(res, p.arm) && p.d_cost === 0 && p.d_qalys === 0);
    const comparators = points.filter(atOrigin);
    const others = points.filter((p) => !atOrigin(p));
    const strategies = new Set(others.map((p) => p.strategy));
    const contractsVary = new Set(others.map((p) => p.contract)).size > 1;
    // Arms are told apart by what varies: the contract (one strategy), the strategy (no
    // contracts), or else by the full arm name.
    const short = strategies.size === 1 && contractsVary;
    const labelOf = (p) => {
      if (p.origin) return p.arm;
      if (short && p.contract) return displayContract(p.contract);
      if (!contractsVary && p.contract === 'list' && p.strategy) return p.strategy;
      return p.arm;
    };
    // Without contracts every arm is a list arm: colour by strategy instead.
    const byStrategy = strategies.size > 1 && !contractsVary;
    const colourOf = (p) => (p.origin ? '#4a5560' : byStrategy ? colourFor(`strategy:${p.strategy}`) : colourFor(p.contract || 'list'));

    const titleId = nextId('plane-title');
    const root = svg('svg', {
      viewBox: `0 0 ${W} ${H}`,
      width: W,
      height: H,
      class: 'plane-svg',
      role: 'img',
      'aria-labelledby': titleId,
    });
    root.append(svg('title', {
      id: titleId,
      text: `Cost-effectiveness plane: incremental cost against incremental QALYs per patient of each arm versus ${ref || 'the comparator'}` +
        (thresholds.length ? `, with threshold lines at ${thresholds.map(fmtThreshold).join(' and ')}` : ''),
    }));
    const clipId = nextId('plane-clip');
    root.append(svg('defs', {}, svg('clipPath', { id: clipId }, svg('rect', { x: m.l, y: m.t, width: pw, height: ph }))));

    // Grid and ticks.
    const grid = svg('g', { class: 'grid' });
    for (const v of sx.ticks) {
      grid.append(svg('line', { x1: X(v), x2: X(v), y1: m.t, y2: m.t + ph }));
      root.append(svg('text', { x: X(v), y: m.t + ph + 18, class: 'tick', 'text-anchor': 'middle', text: grouped(v, sx.decimals) }));
    }
    for (const v of sy.ticks) {
      grid.append(svg('line', { x1: m.l, x2: m.l + pw, y1: Y(v), y2: Y(v) }));
      root.append(svg('text', { x: m.l - 8, y: Y(v) + 4, class: 'tick', 'text-anchor': 'end', text: grouped(v, sy.decimals) }));
    }
    root.append(grid);
    root.append(svg('rect', { x: m.l, y: m.t, width: pw, height: ph, class: 'frame' }));
    // Axes through the origin (the comparator).
    root.append(svg('line', { x1: X(0), x2: X(0), y1: m.t, y2: m.t + ph, class: 'zero' }));
    root.append(svg('line', { x1: m.l, x2: m.l + pw, y1: Y(0), y2: Y(0), class: 'zero' }));
    root.append(svg('text', { x: m.l + pw / 2, y: H - 10, class: 'axis-title', 'text-anchor': 'middle', text: 'Incremental QALYs per patient' }));
    root.append(svg('text', {
      x: 16,
      y: m.t + ph / 2,
      class: 'axis-title',
      'text-anchor': 'middle',
      transform: `rotate(-90 16 ${m.t + ph / 2})`,
      text: `Incremental cost per patient${state.currency ? ` (${state.currency})` : ''}`,
    }));

    // Threshold lines: cost = threshold × QALYs, clipped to the plot; labelled in the margin
    // where they leave the plot, so the labels never sit on the points or the other line.
    const lines = svg('g', { 'clip-path': `url(#${clipId})` });
    const ends = [];
    thresholds.forEach((t, i) => {
      let a;
      let b;
      if (t === 0) {
        a = sx.lo;
        b = sx.hi;
      } else {
        const p = sy.lo / t;
        const q = sy.hi / t;
        a = Math.max(sx.lo, Math.min(p, q));
        b = Math.min(sx.hi, Math.max(p, q));
      }
      if (!(b > a)) return;
      lines.append(svg('line', {
        x1: X(a), y1: Y(t * a), x2: X(b), y2: Y(t * b),
        class: i === 0 ? 'threshold first' : 'threshold',
      }));
      ends.push({ t, x: X(b), y: Y(t * b), first: i === 0 });
    });
    root.append(lines);
    const right = ends.filter((e) => e.x >= m.l + pw - 1).sort((p, q) => p.y - q.y);
    for (let i = 1; i < right.length; i++) right[i].y = Math.max(right[i].y, right[i - 1].y + 13);
    const top = ends.filter((e) => e.x < m.l + pw - 1).sort((p, q) => p.x - q.x);
    for (let i = 1; i < top.length; i++) top[i].x = Math.max(top[i].x, top[i - 1].x + 118);
    for (const e of right) {
      root.append(svg('text', { x: m.l + pw + 6, y: e.y + 4, class: e.first ? 'threshold-label first' : 'threshold-label', text: fmtThreshold(e.t) }));
    }
    for (const e of top) {
      root.append(svg('text', { x: e.x, y: m.t - 6, 'text-anchor': 'middle', class: e.first ? 'threshold-label first' : 'threshold-label', text: fmtThreshold(e.t) }));
    }

    // Points, and labels pushed apart so arms with similar costs stay readable.
    const originName = new Set(comparators.map((p) => p.arm)).size === 1 ? comparators[0].arm : res.comparator || 'comparator';
    const drawn = others.concat([{
      arm: `${originName} (comparator)`,
      d_qalys: 0,
      d_cost: 0,
      origin: true,
      members: comparators.map((p) => p.arm),
    }]);
    const placed = drawn.map((p) => {
      const px = X(p.d_qalys);
      const py = Y(p.d_cost);
      const left = px > m.l + pw * 0.6;
      return { p, px, py, left, ly: py };
    });
    for (const side of [true, false]) {
      const group = placed.filter((q) => q.left === side).sort((a, b) => a.py - b.py);
      const gap = 15;
      for (let i = 1; i < group.length; i++) group[i].ly = Math.max(group[i].ly, group[i - 1].ly + gap);
      const overflow = group.length ? group[group.length - 1].ly - (m.t + ph - 4) : 0;
      if (overflow > 0) for (const q of group) q.ly -= overflow;
      for (let i = group.length - 2; i >= 0; i--) group[i].ly = Math.min(group[i].ly, group[i + 1].ly - gap);
    }
    const pointLayer = svg('g');
    const labelLayer = svg('g');
    for (const q of placed) {
      const { p, px, py } = q;
      const best = p.origin ? Boolean(bestArm) && (p.members.includes(bestArm) || isComparatorArm(res, bestArm)) : p.arm === bestArm;
      const colour = colourOf(p);
      const icer = p.d_qalys !== 0 ? ` · ICER ${fmtMoney(p.d_cost / p.d_qalys, true)}/QALY` : '';
      const tip = p.origin
        ? `${p.members.join(', ') || p.arm}: the origin`
        : `${p.arm}: ${fmtQaly(p.d_qalys)} QALYs, ${fmtMoney(p.d_cost, true)}${icer} (vs ${p.reference || ref})`;
      const g = svg('g', { class: best ? 'point best' : 'point' }, [svg('title', { text: tip })]);
      if (best) g.append(svg('circle', { cx: px, cy: py, r: 11, class: 'best-ring' }));
      g.append(svg('circle', { cx: px, cy: py, r: best ? 6.5 : 5, fill: colour, class: 'dot' }));
      pointLayer.append(g);
      const lx = q.left ? px - 12 : px + 12;
      if (Math.abs(q.ly - py) > 3) {
        labelLayer.append(svg('line', { x1: q.left ? px - 6 : px + 6, y1: py, x2: q.left ? lx + 2 : lx - 2, y2: q.ly - 4, class: 'leader' }));
      }
      labelLayer.append(svg('text', {
        x: lx,
        y: q.ly,
        class: best ? 'point-label best' : 'point-label',
        'text-anchor': q.left ? 'end' : 'start',
        'dominant-baseline': 'middle',
        text: labelOf(p),
      }));
    }
    root.append(pointLayer, labelLayer);
    $('plane').replaceChildren(root);

    const bits = [];
    if (short) bits.push(`Arms of ${[...strategies][0]} under each contract`);
    else bits.push(contractsVary ? 'Each arm' : 'Each strategy');
    bits.push(`against ${ref} at the origin`);
    let note = bits.join(' ') + '. Dashed lines: thresholds (slope = willingness to pay per QALY); arms below a line are cost-effective at it.';
    if (bestArm && thresholds.length) note += ` Ringed: best at ${fmtThreshold(res.best[0].threshold)} (${bestArm}).`;
    $('plane-note').textContent = note;
  }

  // The plane's numbers for reading: each arm's increments and ICER as vbpsim states them.
  function renderArms(rows) {
    const box = $('arms-view');
    box.replaceChildren();
    if (!rows.length) return;
    const cur = state.currency ? ` (${state.currency})` : '';
    // The reference column only when arms are measured against different references.
    const showRef = new Set(rows.map((r) => r.reference)).size > 1;
    const table = el('table', { class: 'readable arms' });
    table.append(el('thead', {}, el('tr', {}, [
      el('th', { scope: 'col', class: 'name', text: 'Arm' }),
      el('th', { scope: 'col', class: 'num', text: `Cost${cur}` }),
      el('th', { scope: 'col', class: 'num', text: 'QALYs' }),
      el('th', { scope: 'col', class: 'num', text: `Incremental cost${cur}` }),
      el('th', { scope: 'col', class: 'num', text: 'Incremental QALYs' }),
      el('th', { scope: 'col', class: 'num', text: `ICER${cur ? ` (${state.currency}/QALY)` : ''}` }),
      showRef ? el('th', { scope: 'col', class: 'name', text: 'versus' }) : null,
    ])));
    const tbody = el('tbody');
    for (const r of rows) {
      const status = r.icer_status || '';
      const value = toNumber(r.icer);
      let icer;
      if (status === 'ratio' || (!status && Number.isFinite(value))) icer = fmtMoney(value);
      else if (status === 'ratio_sw') icer = `${fmtMoney(value)} (less costly, fewer QALYs)`;
      else if (Number.isFinite(value)) icer = `${fmtMoney(value)} (${words(status)})`;
      else icer = status ? words(status) : DASH;
      tbody.append(el('tr', {}, [
        el('th', { scope: 'row', class: 'name' }, armLabel(`${r.strategy}/${r.contract}`)),
        numCell(fmtMoney(r.cost)),
        numCell(fmtQaly(r.qaly)),
        numCell(fmtMoney(r.inc_cost)),
        numCell(fmtQaly(r.inc_qaly)),
        numCell(icer),
        showRef ? el('td', { class: 'ref', text: r.reference || DASH }) : null,
      ]));
    }
    table.append(tbody);
    box.append(table);
  }

  function chartWidth(container, min, max) {
    const w = container ? container.clientWidth : 0;
    return Math.round(Math.min(max, Math.max(min, w || 760)));
  }

  // (c) the contract comparison: the contracts table joined with the threshold prices.
  function renderContracts(res, rows, prices) {
    const box = $('contracts-view');
    box.replaceChildren();
    if (!rows.length) {
      $('contracts-note').textContent = 'This scenario has no contracts.';
      return;
    }
    const thresholds = (res.thresholds || []).map(Number);
    const byKey = new Map();
    for (const p of prices) byKey.set(`${p.strategy}|${p.contract}|${toNumber(p.wtp)}`, p);
    const strategies = new Set(rows.map((r) => r.strategy));
    const cycles = new Set(rows.map((r) => r.price_cycle_days));
    const per = cycles.size === 1 && [...cycles][0] ? ` per ${[...cycles][0]} days` : ' per cycle';

    const table = el('table', { class: 'readable contracts' });
    const cur = state.currency;
    table.append(el('thead', {}, [
      el('tr', { class: 'group-row' }, [
        el('th', { scope: 'col', rowspan: 2, class: 'name', text: 'Contract' }),
        el('th', { scope: 'col', rowspan: 2, class: 'num', text: 'List price' }),
        el('th', { scope: 'col', rowspan: 2, class: 'num', text: 'Treated share' }),
        el('th', { scope: 'colgroup', colspan: 2, class: 'group', text: 'Drug spend' }),
        el('th', { scope: 'col', rowspan: 2, class: 'num', text: 'Effective discount' }),
        el('th', { scope: 'col', rowspan: 2, class: 'num', text: 'Manufacturer net revenue' }),
        thresholds.length ? el('th', { scope: 'colgroup', colspan: thresholds.length, class: 'group', text: 'Value-based price' }) : null,
      ]),
      el('tr', {}, [
        el('th', { scope: 'col', class: 'num', text: 'at list' }),
        el('th', { scope: 'col', class: 'num', text: 'under contract' }),
        ...thresholds.map((t) => el('th', { scope: 'col', class: 'num', title: `threshold ${fmtThreshold(t)}`, text: `at ${grouped(t, 0)}` })),
      ]),
    ]));
    const tbody = el('tbody');
    const width = 7 + thresholds.length;
    let lastStrategy = null;
    for (const r of rows) {
      // Several strategies: their contracts under a heading row each.
      if (strategies.size > 1 && r.strategy !== lastStrategy) {
        tbody.append(el('tr', { class: 'strategy-row' }, el('th', { scope: 'colgroup', colspan: width, text: r.strategy })));
        lastStrategy = r.strategy;
      }
      const nameCell = el('th', { scope: 'row', class: 'name' }, [
        contractName(r.contract),
        el('span', { class: 'kind', text: [r.kind ? words(r.kind) : null, r.drug].filter(Boolean).join(' · ') }),
      ]);
      const listCell = numCell(fmtMoney(r.list_price));
      if (cycles.size > 1 && r.price_cycle_days) listCell.append(el('span', { class: 'cycle', text: `per ${r.price_cycle_days} days` }));
      const cells = [
        nameCell,
        listCell,
        numCell(fmtPct(r.treated_share)),
        numCell(fmtMoney(r.list_spend)),
        numCell(fmtMoney(r.contract_spend)),
        numCell(fmtPct(r.effective_discount)),
        numCell(fmtMoney(r.manufacturer_net_revenue)),
      ];
      for (const t of thresholds) {
        const p = byKey.get(`${r.strategy}|${r.contract}|${t}`);
        cells.push(priceCell(p, r.list_price));
      }
      tbody.append(el('tr', {}, cells));
    }
    table.append(tbody);
    box.append(table);
    $('contracts-note').textContent =
      `Base case${cur ? `, money in ${cur}` : ''}. Prices${per}; drug spend and manufacturer revenue per patient entering the strategy. ` +
      `The value-based price at a threshold (${cur ? cur + '/' : 'per '}QALY) is the price at which the arm\u2019s incremental net monetary benefit is zero.`;
  }

  function priceCell(p, listPrice) {
    if (!p) return numCell(DASH);
    const price = toNumber(p.threshold_price);
    const status = p.threshold_status || '';
    const td = el('td', { class: 'num price' });
    td.append(el('span', { class: 'price-value', text: Number.isFinite(price) ? fmtMoney(price) : DASH }));
    if (status && status !== 'price') {
      td.append(el('span', { class: 'price-status status', text: words(status) }));
    } else if (Number.isFinite(price) && toNumber(listPrice) > 0) {
      const d = price / toNumber(listPrice) - 1;
      const txt = Math.abs(d) < 0.0005 ? 'at list' : `${fmtPct(Math.abs(d))} ${d < 0 ? 'below' : 'above'} list`;
      td.append(el('span', { class: d < 0 ? 'price-status below' : 'price-status above', text: txt }));
    }
    return td;
  }

  // (d) budget impact: net budget impact summed over categories, per contract and year.
  function renderBudget(table) {
    const section = $('budget-section');
    const rows = tableRows(table);
    if (!rows.length) {
      section.hidden = true;
      return;
    }
    section.hidden = false;
    const strategies = new Set(rows.map((r) => r.strategy));
    const keyOf = (r) => (strategies.size > 1 ? `${r.strategy}/${r.contract}` : r.contract);
    const sums = new Map(); // arm -> Map(year -> sum)
    const years = new Set();
    for (const r of rows) {
      const v = toNumber(r.net_budget_impact);
      const year = toNumber(r.year);
      if (!Number.isFinite(year)) continue;
      years.add(year);
      const k = keyOf(r);
      if (!sums.has(k)) sums.set(k, { contract: r.contract, byYear: new Map() });
      const byYear = sums.get(k).byYear;
      byYear.set(year, (byYear.get(year) || 0) + (Number.isFinite(v) ? v : 0));
    }
    const yearList = [...years].sort((a, b) => a - b);
    const arms = [...sums.keys()];
    const cur = state.currency ? ` (${state.currency})` : '';

    const t = el('table', { class: 'readable budget' });
    t.append(el('thead', {}, el('tr', {}, [
      el('th', { scope: 'col', class: 'name', text: strategies.size > 1 ? 'Arm' : 'Contract' }),
      ...yearList.map((y) => el('th', { scope: 'col', class: 'num', text: `Year ${y}` })),
      el('th', { scope: 'col', class: 'num total', text: 'Total' }),
    ])));
    const tbody = el('tbody');
    for (const k of arms) {
      const { contract, byYear } = sums.get(k);
      let total = 0;
      const cells = yearList.map((y) => {
        const v = byYear.get(y);
        if (v !== undefined) total += v;
        return numCell(v === undefined ? DASH : fmtMoney(v));
      });
      tbody.append(el('tr', {}, [
        el('th', { scope: 'row', class: 'name' }, contractName(strategies.size > 1 ? k : displayContract(contract))),
        ...cells,
        numCell(fmtMoney(total), 'total'),
      ]));
    }
    t.append(tbody);
    $('budget-view').replaceChildren(t);
    $('budget-note').textContent =
      `Net budget impact${cur} of adopting ${[...strategies].join(', ')}: spend with minus spend without, ` +
      'summed over all cost categories, for the whole population each year.';

    // Grouped bars: one group per year, one bar per contract.
    const W = chartWidth($('budget-chart'), 520, 900);
    const H = 250;
    const m = { l: 70, r: 12, t: 14, b: 34 };
    const pw = W - m.l - m.r;
    const ph = H - m.t - m.b;
    const values = [];
    for (const k of arms) for (const y of yearList) values.push(sums.get(k).byYear.get(y) || 0);
    const s = niceScale(Math.min(0, ...values), Math.max(0, ...values), 5);
    const big = Math.max(Math.abs(s.lo), Math.abs(s.hi));
    const [div, unitWord] = big >= 1e9 ? [1e9, 'billion'] : big >= 1e6 ? [1e6, 'million'] : big >= 1e4 ? [1e3, 'thousand'] : [1, ''];
    const stepScaled = (s.ticks[1] - s.ticks[0]) / div;
    const tickDecimals = Math.max(0, -Math.floor(Math.log10(stepScaled) + 1e-9));
    const Y = (v) => m.t + ph - ((v - s.lo) / (s.hi - s.lo)) * ph;
    const titleId = nextId('budget-title');
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'budget-svg', role: 'img', 'aria-labelledby': titleId });
    root.append(svg('title', { id: titleId, text: `Net budget impact by year and contract${cur}` }));
    for (const v of s.ticks) {
      root.append(svg('line', { x1: m.l, x2: m.l + pw, y1: Y(v), y2: Y(v), class: v === 0 ? 'zero' : 'gridline' }));
      root.append(svg('text', { x: m.l - 8, y: Y(v) + 4, class: 'tick', 'text-anchor': 'end', text: grouped(v / div, tickDecimals) }));
    }
    root.append(svg('text', {
      x: 14,
      y: m.t + ph / 2,
      class: 'axis-title',
      'text-anchor': 'middle',
      transform: `rotate(-90 14 ${m.t + ph / 2})`,
      text: [unitWord, state.currency].filter(Boolean).join(' ') || 'net budget impact',
    }));
    const groupW = pw / Math.max(1, yearList.length);
    const inner = groupW * 0.78;
    const barW = inner / Math.max(1, arms.length);
    yearList.forEach((y, yi) => {
      const gx = m.l + yi * groupW + (groupW - inner) / 2;
      arms.forEach((k, ki) => {
        const v = sums.get(k).byYear.get(y) || 0;
        const y0 = Y(0);
        const y1 = Y(v);
        root.append(svg('rect', {
          x: gx + ki * barW + 0.5,
          y: Math.min(y0, y1),
          width: Math.max(1, barW - 1.5),
          height: Math.max(0.5, Math.abs(y1 - y0)),
          fill: colourFor(sums.get(k).contract),
        }, svg('title', { text: `${k}, year ${y}: ${fmtMoney(v, true)}` })));
      });
      root.append(svg('text', { x: m.l + yi * groupW + groupW / 2, y: H - 12, class: 'tick', 'text-anchor': 'middle', text: `Year ${y}` }));
    });
    const legend = el('ul', { class: 'legend' }, arms.map((k) => el('li', {}, contractName(strategies.size > 1 ? k : displayContract(sums.get(k).contract)))));
    $('budget-chart').replaceChildren(legend, root);
  }

  // (e) every table exactly as received: cell text is never touched.
  function renderExact(tables) {
    const names = Object.keys(tables);
    names.sort((a, b) => {
      const ia = EXACT_ORDER.indexOf(a);
      const ib = EXACT_ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
    const out = document.createDocumentFragment();
    for (const name of names) {
      const t = tables[name];
      if (!t || !Array.isArray(t.columns)) continue;
      const rows = Array.isArray(t.rows) ? t.rows : [];
      out.append(el('h3', { class: 'exact-name' }, [el('code', { text: `${name}.csv` }), el('span', { class: 'muted', text: ` ${rows.length} rows` })]));
      const table = el('table', { 'data-table': name, class: 'exact-table' });
      const head = el('tr');
      for (const c of t.columns) head.append(el('th', { scope: 'col', text: String(c) }));
      table.append(el('thead', {}, head));
      const tbody = el('tbody');
      for (const r of rows) {
        const tr = document.createElement('tr');
        for (const cell of r) {
          const td = document.createElement('td');
          td.textContent = cell === null || cell === undefined ? '' : String(cell);
          tr.append(td);
        }
        tbody.append(tr);
      }
      table.append(tbody);
      out.append(el('div', { class: 'scroll exact-scroll' }, table));
    }
    $('exact-tables').replaceChildren(out);
  }

  // ---------------------------------------------------------------------------------------
  // Save as scenario layer
  // ---------------------------------------------------------------------------------------

  async function saveLayer() {
    const button = $('save-layer');
    button.disabled = true;
    const label = button.textContent;
    button.textContent = 'Saving…';
    try {
      const body = JSON.stringify({ settings: currentSettings() });
      let resp;
      let data;
      // A busy server (503) says when to ask again: a few tries before giving up.
      for (let attempt = 0; ; attempt++) {
        resp = await fetch(API.layer, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          cache: 'no-store',
        });
        data = await resp.json().catch(() => null);
        if (resp.status !== 503 || attempt >= 10) break;
        const wait = Number(data && data.retry_after_ms) || 250;
        await new Promise((done) => setTimeout(done, wait));
      }
      if (resp.ok && data && data.ok) {
        showLayer(data);
      } else {
        showErrors(data && Array.isArray(data.errors) && data.errors.length
          ? data.errors
          : [{ key: null, message: `saving the layer failed (HTTP ${resp.status})` }]);
      }
    } catch (err) {
      showBanner(['server not reachable']);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  function showLayer(data) {
    const path = String(data.path || '');
    const text = String(data.text || '');
    $('layer-path').textContent = path;
    $('layer-command').textContent = String(data.command || '');
    $('layer-text').textContent = text;
    $('copy-note').textContent = '';
    if (state.layerUrl) URL.revokeObjectURL(state.layerUrl);
    state.layerUrl = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const link = $('layer-download');
    link.href = state.layerUrl;
    link.download = path.split(/[\\/]/).pop() || 'layer.toml';
    link.textContent = `download ${link.download}`;
    $('layer-panel').hidden = false;
    document.body.dataset.layerPath = path;
    $('layer-panel').scrollIntoView({ block: 'nearest' });
  }

  function copyCommand() {
    const text = $('layer-command').textContent;
    const note = $('copy-note');
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(
        () => { note.textContent = 'copied'; },
        () => selectText($('layer-command'))
      );
    } else {
      // No clipboard API (not a secure context): select the command for Ctrl-C instead.
      selectText($('layer-command'));
    }
  }

  function selectText(node) {
    const sel = window.getSelection();
    if (!sel) return;
    const range = document.createRange();
    range.selectNodeContents(node);
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // ---------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------

  function renderHeader(sc) {
    $('title').textContent = sc.title || sc.name || 'Scenario';
    document.title = `${sc.name || 'scenario'} · vbpsim contract explorer`;
    const bits = [];
    if (sc.scenario) bits.push(el('span', {}, ['Scenario ', el('code', { text: sc.scenario })]));
    if (sc.patients !== undefined) bits.push(el('span', { text: `${grouped(Number(sc.patients), 0)} patients per evaluation` }));
    if (sc.seed !== undefined) bits.push(el('span', { text: `seed ${sc.seed}` }));
    if (sc.comparator) bits.push(el('span', { text: `comparator ${sc.comparator}` }));
    if (sc.currency) bits.push(el('span', { text: sc.currency }));
    const meta = $('meta');
    meta.replaceChildren();
    bits.forEach((b, i) => {
      if (i) meta.append(el('span', { class: 'sep', 'aria-hidden': 'true', text: ' · ' }));
      meta.append(b);
    });
  }

  async function loadScenario() {
    let sc;
    try {
      const resp = await fetch(API.scenario, { cache: 'no-store' });
      sc = await resp.json();
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    } catch (err) {
      showBanner(['server not reachable']);
      document.body.dataset.state = 'error';
      $('status').textContent = 'Waiting for the server…';
      setTimeout(loadScenario, 2000);
      return;
    }
    showBanner([]);
    state.scenario = sc;
    state.currency = sc.currency || '';
    initColours(sc.contracts);
    renderHeader(sc);
    buildControls(sc.sections);
    $('save-layer').disabled = false;
    // Latency of the first evaluation counts from page load (time origin 0).
    scheduleEvaluation(true, 0);
  }

  function init() {
    $('controls').addEventListener('submit', (e) => {
      // Enter in a text field evaluates instead of reloading the page.
      e.preventDefault();
      scheduleEvaluation(true, performance.now());
    });
    $('reset-all').addEventListener('click', () => {
      for (const ctl of state.controls.values()) ctl.set(ctl.initial);
      clearErrors();
      refreshControls();
      scheduleEvaluation(true, performance.now());
    });
    $('save-layer').addEventListener('click', saveLayer);
    // The charts are drawn for their width: redraw them when the window is resized.
    let resizeTimer = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (!state.last) return;
        renderPlane(state.last);
        renderBudget((state.last.tables || {}).budget_impact);
      }, 150);
    });
    $('copy-command').addEventListener('click', copyCommand);
    $('layer-close').addEventListener('click', () => {
      $('layer-panel').hidden = true;
    });
    loadScenario();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
