// The account form: the page opens on it when no account is configured, and the header's
// button opens it to replace the saved one. The server checks the account with the
// library's doctor before it saves anything; each check comes back here in words. A saved
// secret is never sent to the page: its field stays empty, and empty keeps it.
'use strict';

Object.assign(STRINGS.zh, {
  account_settings: '设置文件 {file}',
  account_none: '尚未设置',
  settings_button: '账户设置',
  setup_title: '金蝶精斗云账户',
  setup_intro_first: '第一次使用：请填写金蝶开放平台上这个应用的信息。保存前会先连上金蝶检查一遍。',
  setup_intro_replace: '更换账户：填写新的信息；密钥留空则保留已保存的。',
  setup_file: '保存在 {file}，只有当前用户能读取（在 Windows 上，两个密钥另外加密，只有本机的这个用户能解开）。',
  setup_problem: '已保存的设置不能使用：{msg}',
  f_client_id: 'Client ID',
  f_client_secret: 'Client Secret',
  f_mode: '应用信息的来源',
  mode_authorization_label: '授权模式：填外部实例 ID（推荐）',
  mode_direct_label: '直连模式：填 App Key、App Secret 和域名',
  f_outer_instance_id: '外部实例 ID（outerInstanceId）',
  f_account_id: '账套 ID（可不填；授权了多个账套时才需要）',
  f_app_key: 'App Key',
  f_app_secret: 'App Secret',
  f_domain: '域名（例如 https://tf.jdy.com）',
  advanced: '高级设置（一般不用填）',
  f_base_url: '网关地址（默认 https://api.kingdee.com）',
  f_proxy: '代理（例如 http://192.168.1.1:8080）',
  secret_saved: '已保存，不显示；要更换请输入新的',
  setup_save: '检查并保存',
  setup_cancel: '取消',
  setup_checking: '正在连接金蝶检查账户，最多需要一分钟……',
  setup_saved: '账户已检查并保存，以后启动工具会自动使用。',
  setup_blocked: '没有保存：请按下面标红的提示修改后再试。',
  setup_warned: '检查有警告（见下方）。导入可能受影响；确认没问题可以仍然保存。',
  setup_insist: '仍然保存',
  setup_aside: '原来损坏的设置文件已保留为 {file}。',
  verdict_ok: '正常',
  verdict_warn: '注意',
  verdict_fail: '失败',
  verdict_skipped: '跳过',
  check_configuration: '配置',
  check_dns: '域名解析',
  'check_dns proxy': '代理的域名解析',
  check_gateway: '连接金蝶网关',
  check_clock: '本机时间',
  check_authorization: '授权',
  check_token: '令牌',
  'check_permission member detail': '权限：查询会员',
  'check_permission member list': '权限：会员列表',
  'check_permission store list': '权限：门店列表',
  'check_permission member level list': '权限：会员等级列表',
  'check_permission customer list': '权限：客户列表',
  'check_permission label list': '权限：标签列表',
  check_permission: '权限',
  'check_request budget': '请求额度',
  fix_configuration: '请按提示补全或改正表单。',
  fix_network: '连不上金蝶：请检查网络、防火墙或代理设置。',
  fix_clock: '本机时间不对：请校准电脑时间后再试。',
  fix_authorization: '请核对 Client ID、Client Secret 和外部实例 ID（在金蝶开放平台的应用详情里）。',
  fix_token: '请核对 Client ID、Client Secret，以及 App Key、App Secret 和域名。',
  fix_permission: '这个应用没有开通这个接口：请在金蝶开放平台为应用授权。',
});

Object.assign(STRINGS.en, {
  account_settings: 'settings file {file}',
  account_none: 'not set up yet',
  settings_button: 'Account',
  setup_title: 'The Kingdee JDY account',
  setup_intro_first: 'First run: enter this app\'s details from the Kingdee open platform. They are checked against Kingdee before they are saved.',
  setup_intro_replace: 'Replace the account: enter the new details; an empty secret keeps the saved one.',
  setup_file: 'Kept in {file}, readable by this user only (on Windows the two secrets are also encrypted for this user on this PC).',
  setup_problem: 'The saved settings cannot be used: {msg}',
  f_client_id: 'Client ID',
  f_client_secret: 'Client Secret',
  f_mode: 'Where the app keys come from',
  mode_authorization_label: 'Authorization: the outer instance id (recommended)',
  mode_direct_label: 'Direct: app key, app secret and domain',
  f_outer_instance_id: 'Outer instance id (outerInstanceId)',
  f_account_id: 'Account id (only when several accounts are authorized)',
  f_app_key: 'App key',
  f_app_secret: 'App secret',
  f_domain: 'Domain (such as https://tf.jdy.com)',
  advanced: 'Advanced (usually left empty)',
  f_base_url: 'Gateway address (default https://api.kingdee.com)',
  f_proxy: 'Proxy (such as http://192.168.1.1:8080)',
  secret_saved: 'saved, not shown; type a new one to replace it',
  setup_save: 'Check and save',
  setup_cancel: 'Cancel',
  setup_checking: 'Checking the account with Kingdee; this takes up to a minute…',
  setup_saved: 'The account was checked and saved; the tool uses it from now on.',
  setup_blocked: 'Nothing was saved: correct what is marked below and try again.',
  setup_warned: 'The check gave warnings (below). Imports may be affected; save anyway if that is fine.',
  setup_insist: 'Save anyway',
  setup_aside: 'The damaged settings file was kept as {file}.',
  verdict_ok: 'ok',
  verdict_warn: 'warning',
  verdict_fail: 'failed',
  verdict_skipped: 'skipped',
  fix_configuration: 'Complete or correct the form as the message says.',
  fix_network: 'Kingdee cannot be reached: check the network, the firewall or the proxy.',
  fix_clock: "This computer's clock is wrong: set it and try again.",
  fix_authorization: 'Check the client id, client secret and outer instance id (in the app\'s page on the Kingdee open platform).',
  fix_token: 'Check the client id and secret, and the app key, app secret and domain.',
  fix_permission: 'The app lacks this API: grant it on the Kingdee open platform.',
});

const FORM_FIELDS = ['client_id', 'client_secret', 'outer_instance_id', 'account_id',
  'app_key', 'app_secret', 'domain', 'base_url', 'proxy'];

const Setup = {
  first: true,

  // Fills the form from what the server may show of the saved account.
  async open(state) {
    this.first = state.setup.needed;
    const form = await api('GET', '/api/settings');
    const saved = form.saved || {};
    for (const key of FORM_FIELDS) {
      const input = $('f-' + key);
      input.value = key.endsWith('secret') ? '' : saved[key] || '';
    }
    $('f-client_secret').placeholder = saved.has_client_secret ? t('secret_saved') : '';
    $('f-app_secret').placeholder = saved.has_app_secret ? t('secret_saved') : '';
    const direct = saved.mode === 'direct';
    $('mode-direct').checked = direct;
    $('mode-authorization').checked = !direct;
    $('advanced').open = Boolean(saved.base_url || saved.proxy);
    this.drawMode();
    $('setup-intro').textContent = t(this.first && !form.saved ? 'setup_intro_first' : 'setup_intro_replace');
    $('setup-file').textContent = form.file ? t('setup_file', { file: form.file }) : '';
    $('setup-problem').hidden = !form.problem;
    $('setup-problem').textContent = form.problem ? t('setup_problem', { msg: form.problem }) : '';
    $('setup-cancel').hidden = this.first;
    this.drawOutcome(null);
  },

  drawMode() {
    const direct = $('mode-direct').checked;
    $('fields-direct').hidden = !direct;
    $('fields-authorization').hidden = direct;
  },

  form(insist) {
    const form = { mode: $('mode-direct').checked ? 'direct' : 'authorization', insist };
    for (const key of FORM_FIELDS) form[key] = $('f-' + key).value;
    return form;
  },

  async save(insist) {
    clearError();
    $('setup-save').disabled = true;
    $('setup-insist').disabled = true;
    $('setup-checking').hidden = false;
    this.drawOutcome(null);
    try {
      const outcome = await api('POST', '/api/settings', JSON.stringify(this.form(insist)));
      this.drawOutcome(outcome);
      if (outcome.saved) {
        for (const key of ['client_secret', 'app_secret']) $('f-' + key).value = '';
        await App.refresh({ keepSetup: true });
      }
    } catch (error) {
      showError(error);
    } finally {
      $('setup-save').disabled = false;
      $('setup-insist').disabled = false;
      $('setup-checking').hidden = true;
    }
  },

  // What the check found: a line per check, the failures with what to do.
  drawOutcome(outcome) {
    const box = $('setup-outcome');
    box.hidden = !outcome;
    $('setup-insist-box').hidden = !outcome || outcome.saved || outcome.blocking || !outcome.warned;
    if (!outcome) return;
    const words = outcome.saved ? 'setup_saved' : outcome.blocking ? 'setup_blocked' : 'setup_warned';
    $('setup-verdict').textContent = t(words) + (outcome.aside ? ' ' + t('setup_aside', { file: outcome.aside }) : '');
    $('setup-verdict').className = outcome.saved ? 'notice ok' : 'notice warn';
    $('setup-checks').replaceChildren(...outcome.checks.map((check) => this.drawCheck(check)));
    box.scrollIntoView({ block: 'nearest' });
  },

  drawCheck(check) {
    const item = element('li', 'check ' + check.verdict);
    item.dataset.name = check.name;
    item.dataset.verdict = check.verdict;
    const name = STRINGS[LANG]['check_' + check.name] || STRINGS.zh['check_' + check.name] || check.name;
    item.appendChild(element('span', 'badge verdict-' + check.verdict, t('verdict_' + check.verdict)));
    item.appendChild(element('b', null, ' ' + name + '：'));
    item.appendChild(element('span', 'detail', check.detail));
    if (check.verdict === 'fail' || check.verdict === 'warn') {
      const fix = this.fix(check.name);
      if (fix) item.appendChild(element('p', 'fix', fix));
      if (check.advice) item.appendChild(element('p', 'hint advice', check.advice));
    }
    return item;
  },

  // What a shop's staff can do about a failed check, in their words.
  fix(name) {
    if (name === 'configuration') return t('fix_configuration');
    if (['dns', 'dns proxy', 'gateway'].includes(name)) return t('fix_network');
    if (name === 'clock') return t('fix_clock');
    if (name === 'authorization') return t('fix_authorization');
    if (name === 'token') return t('fix_token');
    if (name.startsWith('permission')) return t('fix_permission');
    return '';
  },

  bind() {
    $('setup-save').addEventListener('click', () => this.save(false));
    $('setup-insist').addEventListener('click', () => this.save(true));
    $('setup-cancel').addEventListener('click', () => App.refresh());
    $('mode-direct').addEventListener('change', () => this.drawMode());
    $('mode-authorization').addEventListener('change', () => this.drawMode());
    $('account-settings').addEventListener('click', () => App.openSetup());
  },
};
