// The page's flow: choose a file → the column step (columns.js) → each row's verdict →
// import with progress → downloads. The server keeps every job: the page shows the one it
// names and polls it while it is read, checked or imported, so the page can be closed and
// opened again at any time.
'use strict';

// Phases in which the server is at work on the job: the page polls them.
const ACTIVE = ['waiting', 'reading', 'checking', 'stored', 'importing'];
const STEPS = ['choose', 'columns', 'check', 'import', 'done'];

function showError(error) {
  const message = (error && error.message) || String(error);
  $('message').textContent = t('failed_request', { msg: message });
  $('message').hidden = false;
}

function clearError() {
  $('message').hidden = true;
}

// An error in a line: each field's label and problem, or its message.
function problemWords(error) {
  const fields = (error.problems || []).filter((p) => p.field);
  if (!fields.length) return error.message;
  return fields.map((p) => (p.label || p.field) + '：' + p.message).join('；');
}

// A progress bar: `done` of `total` rows.
function drawBar(id, done, total) {
  const bar = $(id);
  bar.setAttribute('aria-valuemax', total);
  bar.setAttribute('aria-valuenow', done);
  bar.firstElementChild.style.width = (total ? (100 * done) / total : 0) + '%';
}

// The account the tool talks to, never a secret.
function drawAccount(account) {
  const box = $('account');
  box.replaceChildren(element('b', null, t('account')));
  if (!account) {
    box.appendChild(element('span', null, t('account_none')));
    return;
  }
  const source = account.source === 'config' || account.source === 'settings'
    ? t('account_' + account.source, { file: account.file })
    : t('account_' + account.source);
  box.appendChild(element('span', account.source === 'sandbox' ? 'sandbox' : null, source));
  const mode = account.mode === 'direct'
    ? t('mode_direct', { domain: account.domain })
    : t('mode_authorization', { id: account.outer_instance_id });
  const words = [account.base_url, mode, t('client', { id: account.client_id })];
  box.appendChild(element('span', null, ' · ' + words.join(' · ')));
}

const App = {
  state: null,
  job: null,
  polling: null,
  stopped: false,

  async start() {
    applyStrings();
    this.bind();
    await this.refresh();
    setInterval(() => {
      if (!this.stopped) api('POST', '/api/heartbeat').catch(() => {});
    }, 15000);
  },

  // Reads the state and shows what comes next: the account form while there is no
  // account, else the job shown or the choice of a file. `keepSetup`: the form stays (it
  // shows what its check found) unless the account was missing until now.
  async refresh(options) {
    const wasNeeded = this.state && this.state.setup.needed;
    this.state = await api('GET', '/api/state');
    this.drawFrame();
    if (this.state.setup.needed) {
      await this.openSetup();
    } else if (options && options.keepSetup && !wasNeeded) {
      // The form replaced the account: it stays, with what its check found.
    } else if (this.state.current) {
      this.show(this.state.current);
    } else {
      this.screen('choose');
    }
  },

  async openSetup() {
    clearError();
    this.screen('setup');
    await Setup.open(this.state);
  },

  // What does not depend on the job: the account, the limits, the imports to resume.
  drawFrame() {
    const state = this.state;
    drawAccount(state.account);
    $('account-settings').hidden = !state.setup.editable || state.setup.needed;
    $('steps').hidden = state.setup.needed;
    const mb = Math.round(state.limits.upload_bytes / 1024 / 1024);
    $('formats').textContent = t('formats', { mb });
    $('footer').textContent = t('footer', {
      version: state.version, folder: state.folder, days: state.limits.keep_days,
    });
    const list = $('resume-list');
    list.replaceChildren(...state.interrupted.map((job) => this.resumeItem(job)));
    $('resume').hidden = state.interrupted.length === 0 || state.setup.needed;
    $('finished-list').replaceChildren(...state.finished.map((job) => this.finishedItem(job)));
    $('finished').hidden = state.finished.length === 0;
  },

  // A finished import, with its downloads.
  finishedItem(job) {
    const result = job.import || {};
    const item = element('li', null, t('finished_line', {
      name: job.name, saved: result.saved || 0, refused: result.refused || 0, failed: result.failed || 0,
    }) + ' ');
    item.dataset.job = job.id;
    for (const [what, words] of [['rejects', 'dl_rejects'], ['saved', 'dl_saved']]) {
      if (!job.downloads[what]) continue;
      const link = element('a', null, t(words));
      link.href = withToken(`/api/jobs/${job.id}/${what}`);
      item.append(link, ' ');
    }
    const drop = element('button', 'quiet', t('resume_discard'));
    drop.addEventListener('click', () => this.remove(job.id));
    item.append(drop);
    return item;
  },

  resumeItem(job) {
    const item = element('li', null, t('resume_line', {
      name: job.name, saved: (job.import && job.import.saved) || 0,
    }));
    item.dataset.job = job.id;
    const go = element('button', 'primary resume-go', t('resume_go'));
    go.addEventListener('click', () => this.act(() => api('POST', `/api/jobs/${job.id}/import`)));
    const drop = element('button', 'quiet', t('resume_discard'));
    drop.addEventListener('click', () => this.remove(job.id));
    item.append(go, drop);
    return item;
  },

  // Shows screen `name` and where it is among the steps.
  screen(name) {
    for (const section of document.querySelectorAll('.screen')) {
      section.hidden = section.id !== 'screen-' + name;
    }
    const at = STEPS.indexOf(name);
    for (const step of document.querySelectorAll('#steps li')) {
      const index = STEPS.indexOf(step.dataset.step);
      step.classList.toggle('active', index === at);
      step.classList.toggle('past', at >= 0 && index < at);
    }
  },

  // Runs a request that answers with a job, and shows that job.
  async act(request) {
    clearError();
    try {
      const job = await request();
      if (job) this.show(job);
      this.state = await api('GET', '/api/state');
      this.drawFrame();
    } catch (error) {
      showError(error);
    }
  },

  async upload(file) {
    if (!file) return;
    clearError();
    if (file.size > this.state.limits.upload_bytes) {
      showError(t('too_big', { mb: Math.round(this.state.limits.upload_bytes / 1048576) }));
      return;
    }
    $('uploading').hidden = false;
    const skip = $('skip-unknown').checked ? '&skip_unknown=1' : '';
    try {
      const job = await api('POST', '/api/jobs?name=' + encodeURIComponent(file.name) + skip, file);
      this.show(job);
    } catch (error) {
      showError(error);
    } finally {
      $('uploading').hidden = true;
      $('file').value = '';
    }
  },

  show(job) {
    if (!this.job || this.job.id !== job.id) Table.reset(job);
    this.job = job;
    for (const name of document.querySelectorAll('.job-name')) name.textContent = job.name;
    if (this.columnsStep(job)) return;
    switch (job.phase) {
      case 'importing':
      case 'failed':
        this.screen('import');
        this.drawImport(job);
        break;
      case 'done':
        this.screen('done');
        this.drawDone(job);
        break;
      case 'interrupted':
        this.screen('choose');
        break;
      default:
        this.screen('check');
        this.drawCheck(job);
    }
    if (job.phase === 'stored') {
      this.act(() => api('POST', `/api/jobs/${job.id}/check${job.skip_unknown ? '?skip_unknown=1' : ''}`));
    } else if (ACTIVE.includes(job.phase)) {
      this.poll();
    }
  },

  // The column step: while the file's columns wait to be matched to member fields, shows
  // screen 'columns' and returns true. JSON, which has no columns, never stops here.
  columnsStep(job) {
    if (job.phase !== 'columns') return false;
    this.screen('columns');
    Columns.draw(job, this.state.fields);
    return true;
  },

  poll() {
    if (this.polling || this.stopped) return;
    this.polling = setTimeout(async () => {
      this.polling = null;
      try {
        this.show(await api('GET', '/api/jobs/' + this.job.id));
      } catch (error) {
        showError(error);
      }
    }, 400);
  },

  drawCheck(job) {
    const plan = job.plan || {};
    const check = job.check || {};
    $('file-name').textContent = job.name;
    $('how-read').textContent = plan.how_read ? '(' + plan.how_read + ')' : '';
    const records = plan.records || 0;
    const words = { read: check.read || 0, records };
    $('check-phase').textContent = t(job.phase === 'refused' ? 'refused_title' : job.phase, words);
    const refused = job.phase === 'refused';
    $('check-error').hidden = !refused;
    $('summary').hidden = refused;
    if (refused) {
      const message = (job.error && job.error.message) || '';
      $('check-error-text').textContent = message;
      $('retry-skip').hidden = job.skip_unknown || !message.includes('skip-unknown-columns');
    }
    $('n-valid').textContent = check.valid || 0;
    $('n-fix').textContent = check.to_fix || 0;
    $('n-read').textContent = check.read || 0;
    $('n-of-records').textContent = t('of_records', { records });
    const notes = [];
    if (plan.skipped && plan.skipped.length) notes.push(t('skipped_columns', { cols: plan.skipped.join('、') }));
    if (check.references_unchecked) notes.push(t('references_unchecked', { msg: check.references_unchecked }));
    $('check-notes').textContent = notes.join(' ');
    const table = plan.format === 'csv' || plan.format === 'workbook';
    $('edit-columns').hidden = !table || !['checked', 'refused'].includes(job.phase) || !job.columns;
    const valid = check.valid || 0;
    const button = $('import');
    button.disabled = job.phase !== 'checked' || valid === 0;
    button.textContent = job.phase === 'checked' && valid === 0 ? t('import_none') : t('import_n', { n: valid });
    if (!refused) Table.follow(job).catch(showError);
  },

  drawImport(job) {
    const progress = job.import || {};
    const total = progress.total || 0;
    const done = progress.done || 0;
    drawBar('bar', done, total);
    $('progress-text').textContent = progress.preparing ? t('preparing') : t('progress', { done, total });
    for (const key of ['saved', 'refused', 'failed', 'skipped']) {
      $('n-' + key).textContent = progress[key] || 0;
    }
    const going = progress.eta_s !== null && progress.eta_s !== undefined && done < total;
    $('pace').textContent = going
      ? t('pace', { rate: progress.rate || 0, eta: duration(progress.eta_s) })
      : '';
    $('budget').textContent = progress.budget_per_minute ? t('budget', { n: progress.budget_per_minute }) : '';
    const failed = job.phase === 'failed';
    $('import-title').textContent = t(failed ? 'failed_title' : 'importing');
    $('import-error').hidden = !failed;
    $('import-error-text').textContent = failed && job.error ? job.error.message : '';
    const errors = progress.errors || [];
    $('recent').hidden = errors.length === 0;
    $('recent-list').replaceChildren(...errors.map((e) => element('li', null, e.at + ': ' + problemWords(e.error))));
  },

  drawDone(job) {
    const result = job.import || {};
    drawBar('done-bar', result.done || 0, result.total || 0);
    $('done-line').textContent = t('done_line', {
      saved: result.saved || 0, refused: result.refused || 0,
      failed: result.failed || 0, skipped: result.skipped || 0,
    });
    const links = [['dl-rejects', 'rejects'], ['dl-saved', 'saved']];
    for (const [id, what] of links) {
      const link = $(id);
      link.hidden = !job.downloads[what];
      link.href = withToken(`/api/jobs/${job.id}/${what}`);
    }
    $('dl-rejects-hint').hidden = !job.downloads.rejects;
    $('failed-hint').hidden = !result.failed;
  },

  async remove(id) {
    clearError();
    try {
      await api('DELETE', '/api/jobs/' + id);
      if (this.job && this.job.id === id) this.job = null;
      await this.refresh();
    } catch (error) {
      showError(error);
    }
  },

  async stop() {
    const importing = this.job && this.job.phase === 'importing';
    if (importing && !window.confirm(t('stop_confirm_import'))) return;
    try {
      await api('POST', '/api/stop');
    } catch (error) {
      // Stopped already: the page says so all the same.
    }
    this.stopped = true;
    this.screen('stopped');
  },

  chooseAnother() {
    this.job = null;
    clearError();
    this.screen('choose');
  },

  bind() {
    $('file').addEventListener('change', (e) => this.upload(e.target.files[0]));
    const drop = $('drop');
    document.addEventListener('dragover', (e) => e.preventDefault());
    document.addEventListener('drop', (e) => e.preventDefault());
    drop.addEventListener('dragover', () => drop.classList.add('over'));
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      drop.classList.remove('over');
      this.upload(e.dataTransfer.files[0]);
    });
    $('import').addEventListener('click', () => this.act(() => api('POST', `/api/jobs/${this.job.id}/import`)));
    $('resume-failed').addEventListener('click', () => this.act(() => api('POST', `/api/jobs/${this.job.id}/import`)));
    $('retry-failed').addEventListener('click', () => this.act(() => api('POST', `/api/jobs/${this.job.id}/import`)));
    $('retry-skip').addEventListener('click', () => this.act(() => api('POST', `/api/jobs/${this.job.id}/check?skip_unknown=1`)));
    $('another').addEventListener('click', () => this.chooseAnother());
    $('columns-another').addEventListener('click', () => this.chooseAnother());
    $('edit-columns').addEventListener('click', () => this.act(() => api('POST', `/api/jobs/${this.job.id}/columns`, '{}')));
    Columns.bind();
    Setup.bind();
    $('done-another').addEventListener('click', () => this.chooseAnother());
    $('delete').addEventListener('click', () => this.remove(this.job.id));
    $('stop').addEventListener('click', () => this.stop());
    $('tab-fix').addEventListener('click', () => Table.choose('fix'));
    $('tab-all').addEventListener('click', () => Table.choose('all'));
    $('prev').addEventListener('click', () => Table.turn(-1));
    $('next').addEventListener('click', () => Table.turn(1));
    $('lang').addEventListener('click', () => {
      LANG = LANG === 'en' ? 'zh' : 'en';
      applyStrings();
      if (this.state) this.drawFrame();
      if (this.job) this.show(this.job);
    });
  },
};

App.start().catch(showError);
