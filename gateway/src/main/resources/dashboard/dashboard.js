// Tenant Gateway dashboard: polls GET /dashboard/api/tenants and keeps one row per tenant, updated in
// place (a cell is written only when its text changes), so a tick with a thousand tenants stays cheap.
// Rows are CSS grid rows with content-visibility: auto (see dashboard.css): the browser lays out only
// the rows on screen, so showing a thousand rows again after a filter costs little, unlike a <table>.
// Pool actions POST with the session's CSRF token in X-CSRF-Token.
'use strict';

(() => {
  const POLL_MS = 1000;
  const RATE_WINDOW_MS = 5000;
  const API = '/dashboard/api/tenants';
  const MIB = 1024 * 1024;
  const NONE = '\u2014';
  const COLUMNS = ['id', 'domains', 'state', 'pid', 'uid', 'uptime', 'rps', 'p95', 'cold', 'memory', 'actions'];
  const ACTIONS = ['start', 'stop', 'restart'];

  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.querySelector('#tenants .rows');
  const filterBox = document.getElementById('filter');
  const summary = document.getElementById('summary');
  const updated = document.getElementById('updated');
  const notice = document.getElementById('notice');
  const empty = document.getElementById('empty');

  const rows = new Map();
  let order = [];
  let filter = '';
  let visible = 0;
  let requested = 0;
  let applied = 0;
  let noticeTimer = null;
  const stats = { refreshes: 0, lastRefreshMs: 0, lastApplyMs: 0, lastFilterMs: 0 };

  // ---- formatting

  function count(value) {
    return value == null ? NONE : String(value);
  }

  function duration(seconds) {
    if (seconds == null) return NONE;
    if (seconds < 60) return seconds + 's';
    if (seconds < 3600) return Math.floor(seconds / 60) + 'm ' + (seconds % 60) + 's';
    if (seconds < 86400) return Math.floor(seconds / 3600) + 'h ' + Math.floor(seconds % 3600 / 60) + 'm';
    return Math.floor(seconds / 86400) + 'd ' + Math.floor(seconds % 86400 / 3600) + 'h';
  }

  function millis(ms) {
    if (ms == null) return NONE;
    if (ms < 10) return ms.toFixed(1) + ' ms';
    if (ms < 10000) return Math.round(ms) + ' ms';
    return (ms / 1000).toFixed(1) + ' s';
  }

  function rate(value) {
    if (value == null) return NONE;
    if (value === 0) return '0';
    return value < 10 ? value.toFixed(1) : String(Math.round(value));
  }

  function mib(bytes) {
    const value = bytes / MIB;
    return value < 10 ? value.toFixed(1) : String(Math.round(value));
  }

  // ---- rows

  function cell(row, key, text, title) {
    if (row.text[key] !== text) {
      row.text[key] = text;
      row.cells[key].textContent = text;
    }
    if (title !== undefined && row.cells[key].title !== title) {
      row.cells[key].title = title;
    }
  }

  function createRow(id) {
    const el = document.createElement('div');
    el.className = 'row';
    el.setAttribute('role', 'row');
    el.dataset.id = id;
    const cells = {};
    for (const key of COLUMNS) {
      const cellEl = document.createElement('div');
      cellEl.className = 'c-' + key;
      cellEl.setAttribute('role', 'cell');
      el.appendChild(cellEl);
      cells[key] = cellEl;
    }
    const badge = document.createElement('span');
    badge.className = 'state';
    cells.state.appendChild(badge);
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('span');
    bar.appendChild(fill);
    const label = document.createElement('span');
    label.className = 'mem';
    cells.memory.append(bar, label);
    return {
      id, el, cells, badge, bar, fill, label,
      text: {}, search: '', filtered: null, managed: null, buttons: null, busy: null, samples: [], data: null
    };
  }

  function setButtons(row, managed) {
    if (row.managed === managed) return;
    row.managed = managed;
    row.cells.actions.textContent = '';
    row.buttons = null;
    if (!managed) return;
    row.buttons = {};
    for (const action of ACTIONS) {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.action = action;
      button.textContent = action[0].toUpperCase() + action.slice(1);
      row.cells.actions.appendChild(button);
      row.buttons[action] = button;
    }
  }

  function updateButtons(row) {
    if (!row.buttons) return;
    const t = row.data;
    const state = t.state;
    const disabled = {
      start: row.busy != null || !t.enabled || state === 'RUNNING' || state === 'STARTING',
      stop: row.busy != null || state === 'STOPPED' || state == null,
      restart: row.busy != null || !t.enabled || state == null
    };
    for (const action of ACTIONS) {
      const button = row.buttons[action];
      if (button.disabled !== disabled[action]) button.disabled = disabled[action];
      const pending = row.busy === action;
      if (button.classList.contains('pending') !== pending) button.classList.toggle('pending', pending);
    }
  }

  function requestRate(row, t, sampledAt) {
    if (t.requests == null) {
      row.samples.length = 0;
      return null;
    }
    const samples = row.samples;
    const last = samples[samples.length - 1];
    if (last && t.requests < last[1]) samples.length = 0; // the counter restarted
    if (!last || sampledAt > last[0]) samples.push([sampledAt, t.requests]);
    while (samples.length > 2 && samples[0][0] < sampledAt - RATE_WINDOW_MS) samples.shift();
    if (samples.length < 2) return null;
    const first = samples[0];
    const newest = samples[samples.length - 1];
    return (newest[1] - first[1]) * 1000 / (newest[0] - first[0]);
  }

  function update(row, t, sampledAt) {
    row.data = t;
    const domains = t.domains.join(', ');
    const search = (t.id + ' ' + t.domains.join(' ')).toLowerCase();
    if (row.search !== search) {
      row.search = search;
      row.filtered = null;
    }
    cell(row, 'id', t.id);
    cell(row, 'domains', domains, domains);

    let state;
    let stateClass;
    if (!t.managed) {
      state = 'BACKEND';
      stateClass = 'backend';
    } else if (t.state == null) {
      state = 'UNAVAILABLE';
      stateClass = 'unknown';
    } else {
      state = t.state;
      stateClass = t.state.toLowerCase();
    }
    if (!t.enabled) stateClass += ' disabled';
    if (row.text.state !== state || row.text.stateClass !== stateClass) {
      row.text.state = state;
      row.text.stateClass = stateClass;
      row.badge.textContent = t.enabled ? state : state + ' \u00b7 off';
      row.badge.className = 'state ' + stateClass;
      row.badge.title = t.managed ? (t.enabled ? '' : 'disabled') : 'served by its backend ' + t.backend;
    }

    cell(row, 'pid', count(t.pid));
    cell(row, 'uid', count(t.uid));
    cell(row, 'uptime', duration(t.uptime_s), (t.started_at || '')
      + (t.memory_state_lost_at ? ' (APCu and OPcache emptied when a run ended at ' + t.memory_state_lost_at + ')' : ''));
    const rps = requestRate(row, t, sampledAt);
    cell(row, 'rps', t.pid == null ? NONE : rate(rps), t.requests == null ? '' : t.requests + ' requests');
    cell(row, 'p95', millis(t.p95_ms));
    cell(row, 'cold', millis(t.last_activation_ms));

    let memory = NONE;
    let share = 0;
    if (t.memory_limit_bytes != null) {
      memory = t.memory_bytes == null ? NONE + ' / ' + mib(t.memory_limit_bytes) + ' MiB'
        : mib(t.memory_bytes) + ' / ' + mib(t.memory_limit_bytes) + ' MiB';
      share = t.memory_bytes == null ? 0 : Math.min(1, t.memory_bytes / t.memory_limit_bytes);
    }
    if (row.text.memory !== memory) {
      row.text.memory = memory;
      row.label.textContent = memory;
      row.bar.hidden = t.memory_limit_bytes == null;
      const width = (share * 100).toFixed(1) + '%';
      row.fill.style.width = width;
      row.bar.className = share >= 0.95 ? 'bar danger' : share >= 0.8 ? 'bar warn' : 'bar';
    }

    setButtons(row, t.managed && t.state != null);
    updateButtons(row);
  }

  // ---- filter

  function applyFilter(force) {
    const started = performance.now();
    let shown = 0;
    for (const id of order) {
      const row = rows.get(id);
      if (force || row.filtered !== filter) {
        row.filtered = filter;
        const match = filter === '' || row.search.includes(filter);
        if (row.el.hidden === match) row.el.hidden = !match;
      }
      if (!row.el.hidden) shown++;
    }
    visible = shown;
    empty.hidden = shown > 0 || order.length === 0;
    stats.lastFilterMs = performance.now() - started;
  }

  filterBox.addEventListener('input', () => {
    filter = filterBox.value.trim().toLowerCase();
    applyFilter(false);
    renderSummary();
  });

  document.addEventListener('keydown', (event) => {
    if (event.key === '/' && document.activeElement !== filterBox) {
      event.preventDefault();
      filterBox.focus();
    } else if (event.key === 'Escape' && document.activeElement === filterBox) {
      filterBox.value = '';
      filterBox.dispatchEvent(new Event('input'));
    }
  });

  // ---- summary and notices

  function renderSummary() {
    const byState = {};
    for (const row of rows.values()) {
      const state = row.text.state;
      byState[state] = (byState[state] || 0) + 1;
    }
    let text = order.length + (order.length === 1 ? ' tenant' : ' tenants');
    for (const state of ['RUNNING', 'STARTING', 'STOPPING', 'CRASHED', 'FAILED']) {
      if (byState[state]) text += ' \u00b7 ' + byState[state] + ' ' + state.toLowerCase();
    }
    if (filter !== '') text += ' \u00b7 ' + visible + ' shown';
    if (summary.textContent !== text) summary.textContent = text;
  }

  function showNotice(text, error) {
    notice.textContent = text;
    notice.className = error ? 'notice error' : 'notice';
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { notice.hidden = true; }, error ? 10000 : 4000);
  }

  function stale(reason) {
    updated.textContent = reason;
    updated.classList.add('stale');
  }

  // ---- data

  function apply(data) {
    const started = performance.now();
    const tenants = data.tenants;
    let reorder = tenants.length !== order.length;
    const seen = new Set();
    for (let i = 0; i < tenants.length; i++) {
      const t = tenants[i];
      let row = rows.get(t.id);
      if (!row) {
        row = createRow(t.id);
        rows.set(t.id, row);
        reorder = true;
      } else if (!reorder && order[i] !== t.id) {
        reorder = true;
      }
      seen.add(t.id);
      update(row, t, data.sampled_at_ms);
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.el.remove();
        rows.delete(id);
      }
    }
    if (reorder) {
      order = tenants.map((t) => t.id);
      const fragment = document.createDocumentFragment();
      for (const id of order) fragment.appendChild(rows.get(id).el);
      body.appendChild(fragment);
    }
    applyFilter(false);
    renderSummary();
    updated.textContent = 'updated ' + new Date(data.sampled_at_ms).toLocaleTimeString()
      + (data.pools ? '' : ' \u00b7 managed pools unavailable');
    updated.classList.remove('stale');
    stats.lastApplyMs = performance.now() - started;
  }

  async function refresh() {
    const started = performance.now();
    const mine = ++requested;
    let response;
    try {
      response = await fetch(API, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    } catch (e) {
      stale('gateway unreachable, retrying');
      return;
    }
    if (response.status === 401) {
      location.assign('/dashboard');
      return;
    }
    if (!response.ok) {
      stale('refresh failed: HTTP ' + response.status + ', retrying');
      return;
    }
    const data = await response.json();
    if (mine < applied) return; // a newer reply was applied already
    applied = mine;
    apply(data);
    stats.refreshes++;
    stats.lastRefreshMs = performance.now() - started;
  }

  function poll() {
    const next = () => setTimeout(poll, POLL_MS);
    if (document.hidden) {
      next();
      return;
    }
    refresh().finally(next);
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh();
  });

  // ---- pool actions

  body.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const row = rows.get(button.closest('.row').dataset.id);
    if (!row || row.busy != null) return;
    const action = button.dataset.action;
    row.busy = action;
    updateButtons(row);
    try {
      const response = await fetch(API + '/' + encodeURIComponent(row.id) + '/' + action, {
        method: 'POST',
        headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' }
      });
      if (response.status === 401) {
        location.assign('/dashboard');
        return;
      }
      if (response.ok) {
        showNotice(row.id + ': ' + action + ' done', false);
      } else {
        let message = 'HTTP ' + response.status;
        try {
          message = (await response.json()).error || message;
        } catch (e) {
          // keep the status
        }
        showNotice(row.id + ': ' + action + ' failed: ' + message, true);
      }
    } catch (e) {
      showNotice(row.id + ': ' + action + ' failed: gateway unreachable', true);
    } finally {
      row.busy = null;
      if (rows.get(row.id) === row) updateButtons(row);
      refresh();
    }
  });

  if (document.body.dataset.auth === 'open') {
    document.querySelector('form.logout').hidden = true;
  }

  // for operators' scripts and the browser test: refresh() resolves once the table shows the new data
  window.tenantDashboard = { refresh, stats, rows: () => rows.size, visible: () => visible };
  poll();
})();
