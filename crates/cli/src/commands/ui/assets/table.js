// The rows of the checked file with their verdicts, a page at a time as the server keeps
// them on disk (never the whole file in the page): the rows to fix, or all rows. While the
// file is still being checked, a page that is not full yet is read again as rows arrive.
'use strict';

const Table = {
  jobId: null,
  filter: 'fix',
  page: 0,
  total: 0,
  pageRows: 50,
  shown: 0,
  plan: null,
  busy: false,

  reset(job) {
    this.jobId = job.id;
    this.filter = 'fix';
    this.page = 0;
    this.total = 0;
    this.shown = 0;
    this.plan = null;
    this.drawTabs({ read: 0, to_fix: 0 });
    this.drawRows([]);
  },

  pages() {
    return Math.max(1, Math.ceil(this.total / this.pageRows));
  },

  async load() {
    if (!this.jobId || this.busy) return;
    this.busy = true;
    try {
      const query = `filter=${this.filter}&page=${this.page}`;
      const data = await api('GET', `/api/jobs/${this.jobId}/rows?${query}`);
      this.total = data.total;
      this.pageRows = data.page_rows || this.pageRows;
      this.drawRows(data.rows);
    } finally {
      this.busy = false;
    }
  },

  // Called on each poll of the check: reads the page again while it can still grow.
  async follow(job) {
    this.plan = job.plan;
    const check = job.check || { read: 0, to_fix: 0 };
    this.drawTabs(check);
    const total = this.filter === 'fix' ? check.to_fix : check.read;
    if (total !== this.total && this.shown < this.pageRows) {
      await this.load();
    } else {
      this.total = total;
      this.drawPager();
    }
  },

  choose(filter) {
    this.filter = filter;
    this.page = 0;
    this.load().catch(showError);
  },

  turn(step) {
    const page = this.page + step;
    if (page < 0 || page >= this.pages()) return;
    this.page = page;
    this.load().catch(showError);
  },

  drawTabs(check) {
    $('tab-fix').textContent = t('tab_fix', { n: check.to_fix || 0 });
    $('tab-all').textContent = t('tab_all', { n: check.read || 0 });
    $('tab-fix').classList.toggle('active', this.filter === 'fix');
    $('tab-all').classList.toggle('active', this.filter === 'all');
  },

  drawPager() {
    $('page-of').textContent = t('page_of', { page: this.page + 1, pages: this.pages() });
    $('prev').disabled = this.page === 0;
    $('next').disabled = this.page + 1 >= this.pages();
  },

  drawHead() {
    const head = document.querySelector('#rows thead');
    const row = element('tr');
    const columns = this.plan && this.plan.columns && this.plan.columns.length
      ? this.plan.columns
      : [t('record')];
    for (const name of [t('col_row'), t('col_verdict'), ...columns]) {
      row.appendChild(element('th', null, name));
    }
    head.replaceChildren(row);
  },

  drawRows(rows) {
    this.drawHead();
    const body = document.querySelector('#rows tbody');
    body.replaceChildren(...rows.map((row) => this.drawRow(row)));
    this.shown = rows.length;
    const none = rows.length === 0 && this.page === 0;
    $('no-rows').hidden = !none;
    $('no-rows').textContent = this.filter === 'fix' ? t('no_rows_fix') : t('no_rows');
    this.drawPager();
  },

  // One row: where it is, its verdict with each field's problem, its cells.
  drawRow(row) {
    const tr = element('tr', row.kind === 'valid' ? 'ok' : 'bad');
    tr.dataset.row = row.n;
    tr.dataset.at = row.at;
    tr.dataset.kind = row.kind;
    const json = this.plan && this.plan.format === 'json';
    tr.appendChild(element('td', 'at', t(json ? 'item_at' : 'row_at', { n: row.n, at: row.at })));
    const verdict = element('td', 'verdict');
    const good = row.kind === 'valid';
    verdict.appendChild(element('span', 'badge ' + (good ? 'valid' : 'bad'), t('kind_' + row.kind)));
    if (row.problems && row.problems.length) {
      const list = element('ul', 'problems');
      for (const problem of row.problems) {
        const item = element('li');
        if (problem.field) {
          item.dataset.field = problem.field;
          item.appendChild(element('b', null, (problem.label || problem.field) + '：'));
        }
        item.appendChild(element('span', 'message', problem.message));
        list.appendChild(item);
      }
      verdict.appendChild(list);
    }
    tr.appendChild(verdict);
    for (const cell of row.cells) {
      tr.appendChild(element('td', null, cell));
    }
    return tr;
  },
};
