// The column step: the file's columns, each with the member field it goes to and how that
// was decided, settled by the staff before any verdict is shown. The page decides nothing:
// each choice goes to the server as the command line's --map word, and the server's plan
// (the command line's) comes back. Suggestions are never taken without a click.
'use strict';

Object.assign(STRINGS.zh, {
  columns_intro: '请核对每一列导入到哪个会员字段。识别不了的列需要你选择；选“不导入”则这一列不会导入。',
  col_letter: '列',
  col_header: '表头',
  col_values: '前三个值',
  col_field: '导入到',
  col_how: '怎么定的',
  choose_field: '— 请选择 —',
  skip_column: '不导入',
  how_name: '字段名',
  how_label: '中文名',
  how_alias: '常用列名',
  how_content: '按内容识别',
  how_map: '你的选择',
  how_map_file: '列对应文件',
  how_skipped: '不导入',
  how_unknown: '不是会员字段',
  how_typo: '疑似写错',
  how_suggest: '可能是“{label}”，请确认',
  how_typo_of: '可能是“{label}”写错了',
  how_no_header: '没有表头但有内容',
  take_suggestion: '采用“{label}”',
  columns_settled: '所有列都已对应好，可以检查数据了。',
  columns_all_known: '所有表头都认识，不需要修改：点“检查数据”继续。',
  columns_undecided: '还有 {n} 列需要选择：{cols}。',
  columns_missing: '请选择哪一列是“{label}”（每位会员都需要）。',
  columns_twice: '“{label}”对应了两列（{cols}），请把其中一列设为“不导入”。',
  columns_unused: '载入的列对应文件提到“{header}”，这个文件没有这一列：请换一个列对应文件，或者不用它。',
  columns_no_header: '第 {col} 列没有表头但有内容：请在 Excel 里补上表头，或删掉这一列，再重新选择文件。',
  columns_next: '检查数据',
  columns_skip_rest: '其余不是会员字段的列都不导入',
  columns_download: '下载列对应（.json）',
  columns_load: '载入列对应文件…',
  columns_loaded: '已载入列对应文件：{name}',
  columns_drop_file: '不用这个文件',
  columns_details: '详细说明',
  columns_hint_save: '下载的列对应文件可以在下次导入同一种表格时载入，就不用再选一遍。',
  sheet: '工作表：',
  edit_columns: '修改列对应',
});

Object.assign(STRINGS.en, {
  columns_intro: 'Check which member field each column goes to. Columns that were not recognised need your choice; "Do not import" leaves a column out.',
  col_letter: 'Col.',
  col_header: 'Header',
  col_values: 'First three values',
  col_field: 'Goes to',
  col_how: 'Decided by',
  choose_field: '— choose —',
  skip_column: 'Do not import',
  how_name: 'API name',
  how_label: 'Chinese label',
  how_alias: 'usual header',
  how_content: 'its values',
  how_map: 'your choice',
  how_map_file: 'the mapping file',
  how_skipped: 'left out',
  how_unknown: 'no member field',
  how_typo: 'looks like a typo',
  how_suggest: 'may be "{label}": please confirm',
  how_typo_of: 'may be a typo of "{label}"',
  how_no_header: 'text under no header',
  take_suggestion: 'Take "{label}"',
  columns_settled: 'Every column is settled: the data can be checked.',
  columns_all_known: 'Every header is known and nothing needs changing: press "Check the data".',
  columns_undecided: '{n} column(s) still to decide: {cols}.',
  columns_missing: 'Choose the column that is "{label}" (every member needs it).',
  columns_twice: '"{label}" is given by two columns ({cols}): set one of them to "Do not import".',
  columns_unused: 'The mapping file loaded names "{header}", which this file has no column of: load another mapping file, or stop using it.',
  columns_no_header: 'Column {col} has text but no header: give it a header in Excel, or delete it, and choose the file again.',
  columns_next: 'Check the data',
  columns_skip_rest: 'Leave out the other columns that are no member field',
  columns_download: 'Download the mapping (.json)',
  columns_load: 'Load a mapping file…',
  columns_loaded: 'Mapping file loaded: {name}',
  columns_drop_file: 'Stop using it',
  columns_details: 'Details',
  columns_hint_save: 'Load the downloaded mapping next time a file of the same kind is imported, and nothing needs choosing again.',
  sheet: 'Sheet: ',
  edit_columns: 'Change the columns',
});

const Columns = {
  job: null,
  fields: [],

  // The label of field `name` in the page's language: "手机号 (mobile)".
  fieldLabel(name) {
    const field = this.fields.find((f) => f.name === name);
    return field ? field.label : name;
  },

  // The staff's decisions, header → field (or null: left out), in order.
  decisions() {
    return new Map((this.job.map || []).map(([header, field]) => [header, field]));
  },

  draw(job, fields) {
    this.job = job;
    this.fields = fields;
    const step = job.columns || { columns: [] };
    $('columns-how').textContent = job.plan && job.plan.how_read ? '(' + job.plan.how_read + ')' : '';
    this.drawSheets(step);
    const decided = this.decisions();
    const body = document.querySelector('#columns tbody');
    body.replaceChildren(...step.columns.map((column) => this.drawColumn(column, decided)));
    this.drawStatus(step, decided);
    $('columns-next').disabled = !step.settled;
    const open = step.columns.filter((c) => this.open(c) && !c.suggest && c.how !== 'typo');
    $('skip-rest').hidden = open.length === 0;
    $('dl-mapping').hidden = !job.downloads.mapping;
    $('dl-mapping').href = withToken(`/api/jobs/${job.id}/mapping`);
    $('mapping-loaded').hidden = !job.map_file;
    $('mapping-loaded-name').textContent = t('columns_loaded', { name: job.map_file || '' });
    $('columns-problem').textContent = step.problem || '';
    $('columns-detail').hidden = !step.problem;
  },

  drawSheets(step) {
    const sheets = step.sheets || [];
    $('sheet-choice').hidden = sheets.length < 2;
    $('sheet').replaceChildren(...sheets.map((name) => {
      const option = element('option', null, name);
      option.value = name;
      option.selected = name === step.sheet;
      return option;
    }));
  },

  // Whether a column still waits for a decision.
  open(column) {
    return column.how === 'unknown' || column.how === 'typo';
  },

  drawColumn(column, decided) {
    const open = this.open(column);
    const tr = element('tr', open ? (column.suggest ? 'suggest' : 'undecided') : 'settled');
    tr.dataset.column = column.column;
    tr.dataset.header = column.header;
    tr.dataset.how = column.how;
    if (column.suggest) tr.dataset.suggest = column.suggest;
    tr.appendChild(element('td', 'letter', column.column));
    tr.appendChild(element('td', 'header', column.header));
    tr.appendChild(element('td', 'values', (column.values || []).join(' / ')));
    const cell = element('td', 'field');
    cell.appendChild(this.select(column, open));
    tr.appendChild(cell);
    tr.appendChild(this.how(column, decided));
    return tr;
  },

  // The drop-down: every member field, and "Do not import"; "— choose —" while undecided.
  select(column, open) {
    const select = element('select');
    select.disabled = !column.header;
    const options = [];
    if (open) options.push(['', t('choose_field')]);
    for (const field of this.fields) {
      options.push([field.name, field.label + ' · ' + field.name]);
    }
    options.push(['-', t('skip_column')]);
    const chosen = column.field || (column.how === 'skipped' ? '-' : '');
    for (const [value, words] of options) {
      const option = element('option', null, words);
      option.value = value;
      option.selected = value === chosen;
      select.appendChild(option);
    }
    select.addEventListener('change', () => {
      const value = select.value;
      this.decide(column.header, value === '' ? undefined : value === '-' ? null : value);
    });
    return select;
  },

  // How the column was decided, in words; a suggestion with its button.
  how(column, decided) {
    const cell = element('td', 'how');
    cell.title = column.why || '';
    let words;
    if (column.how === 'map') {
      words = t(decided.has(column.header) ? 'how_map' : 'how_map_file');
    } else if (column.how === 'unknown' && !column.header) {
      words = t('how_no_header');
    } else if (column.how === 'unknown' && column.suggest) {
      words = t('how_suggest', { label: this.fieldLabel(column.suggest) });
    } else if (column.how === 'typo' && column.suggest) {
      words = t('how_typo_of', { label: this.fieldLabel(column.suggest) });
    } else {
      words = t('how_' + column.how);
    }
    const suggested = this.open(column) && column.suggest ? ' suggest' : '';
    cell.appendChild(element('span', 'badge how-' + column.how + suggested, words));
    if (this.open(column) && column.suggest) {
      const take = element('button', 'take', t('take_suggestion', { label: this.fieldLabel(column.suggest) }));
      take.type = 'button';
      take.addEventListener('click', () => this.decide(column.header, column.suggest));
      cell.append(' ', take);
    }
    return cell;
  },

  // What still stops the check, in the staff's words (the server's own is under Details).
  drawStatus(step, decided) {
    const lines = [];
    const columns = step.columns;
    const named = (c) => c.column + ' ' + (c.header || '');
    const open = columns.filter((c) => this.open(c) && c.header);
    if (open.length) lines.push(t('columns_undecided', { n: open.length, cols: open.map(named).join('、') }));
    for (const c of columns.filter((c) => c.how === 'unknown' && !c.header)) {
      lines.push(t('columns_no_header', { col: c.column }));
    }
    for (const field of this.fields.filter((f) => f.required)) {
      const giving = columns.filter((c) => c.field === field.name);
      if (giving.length === 0) lines.push(t('columns_missing', { label: field.label }));
      if (giving.length > 1) lines.push(t('columns_twice', { label: field.label, cols: giving.map(named).join('、') }));
    }
    for (const field of this.fields.filter((f) => !f.required)) {
      const giving = columns.filter((c) => c.field === field.name);
      if (giving.length > 1) lines.push(t('columns_twice', { label: field.label, cols: giving.map(named).join('、') }));
    }
    for (const header of step.unused || []) lines.push(t('columns_unused', { header }));
    const box = $('columns-status');
    const known = ['name', 'label', 'alias'];
    const allKnown = step.settled && decided.size === 0 && !this.job.map_file
      && columns.every((c) => known.includes(c.how));
    if (step.settled) {
      lines.length = 0;
      lines.push(t(allKnown ? 'columns_all_known' : 'columns_settled'));
    } else if (!lines.length && step.problem) {
      lines.push(step.problem);
    }
    box.className = 'notice ' + (step.settled ? 'ok' : 'warn');
    box.replaceChildren(...lines.map((line) => element('p', null, line)));
  },

  // Records a decision for `header` (undefined: none) and shows the server's new plan.
  decide(header, field) {
    const decided = this.decisions();
    if (field === undefined) decided.delete(header);
    else decided.set(header, field);
    const map = Array.from(decided.entries());
    App.act(() => api('POST', `/api/jobs/${this.job.id}/columns`, JSON.stringify({ map })));
  },

  skipRest() {
    const decided = this.decisions();
    for (const column of this.job.columns.columns) {
      if (this.open(column) && column.header && !column.suggest && column.how !== 'typo') {
        decided.set(column.header, null);
      }
    }
    const map = Array.from(decided.entries());
    App.act(() => api('POST', `/api/jobs/${this.job.id}/columns`, JSON.stringify({ map })));
  },

  chooseSheet(name) {
    App.act(() => api('POST', `/api/jobs/${this.job.id}/columns`, JSON.stringify({ sheet: name })));
  },

  loadMapping(file) {
    if (!file) return;
    const path = `/api/jobs/${this.job.id}/mapping?name=` + encodeURIComponent(file.name);
    App.act(() => api('POST', path, file)).finally(() => { $('mapping-file').value = ''; });
  },

  dropMapping() {
    App.act(() => api('DELETE', `/api/jobs/${this.job.id}/mapping`));
  },

  confirm() {
    App.act(() => api('POST', `/api/jobs/${this.job.id}/check`));
  },

  bind() {
    $('columns-next').addEventListener('click', () => this.confirm());
    $('skip-rest').addEventListener('click', () => this.skipRest());
    $('mapping-file').addEventListener('change', (e) => this.loadMapping(e.target.files[0]));
    $('mapping-drop').addEventListener('click', () => this.dropMapping());
    $('sheet').addEventListener('change', (e) => this.chooseSheet(e.target.value));
  },
};
