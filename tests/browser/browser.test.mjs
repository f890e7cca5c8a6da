// End-to-end tests of the example platform (蓟州区, its units under /towns/… and /departments/…)
// served by gongkai-serve, in Debian's headless Chromium
// (playwright-core with executablePath), with axe-core accessibility checks.
// Run by run.sh: BUILD_DIR and SOURCE_DIR come from the environment. Loopback only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const build = process.env.BUILD_DIR, src = process.env.SOURCE_DIR;
let work, server, browser, base, town, staffBase;
const staffPassword = 'bangjun-staff-password';

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gongkai-browser-'));
  const b = spawnSync(`${build}/generator/gongkai-build`, ['--content', `${src}/content`, '--themes', `${src}/themes`,
    '--output', `${work}/out`, '--now', '2026-11-26T10:00:00+08:00', '--quiet']);
  assert.equal(b.status, 0, b.stderr.toString());
  // The public forms' database, and a member of 邦均镇's staff for the console.
  const database = `sqlite:${work}/gongkai.db`;
  const add = spawnSync(`${build}/server/gongkai-staff`, ['--database', database, 'add', 'bangjun', '--unit', 'bangjun',
    '--name', '邦均镇党政办'], { env: { ...process.env, GONGKAI_STAFF_PASSWORD: staffPassword } });
  assert.equal(add.status, 0, add.stderr.toString());
  server = spawn(`${build}/server/gongkai-serve`, ['--output', `${work}/out`, '--listen', '127.0.0.1:0', '--now', '2026-11-26T10:00:00+08:00',
    '--database', database, '--staff-listen', '127.0.0.1:0']);
  base = await new Promise((resolve, reject) => {
    let err = '';
    server.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/listening on (http:\/\/127\.0\.0\.1:\d+)\//);
      const s = err.match(/staff console on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m && s) { town = m[1] + '/towns/bangjun'; staffBase = s[1]; resolve(m[1]); }
    });
    server.on('exit', () => reject(new Error('gongkai-serve exited: ' + err)));
    setTimeout(() => reject(new Error('gongkai-serve did not start')), 10000);
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  rmSync(work, { recursive: true, force: true });
});

async function page(options = {}) {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 }, ...options });
  context._gongkaiNoJs = options.javaScriptEnabled === false;
  return context.newPage();
}

// axe-core: no serious or critical violations.
// Pages tested without JavaScript are checked in a JavaScript-enabled twin (same URL, cookies).
async function accessible(p, name) {
  if (p.context()._gongkaiNoJs) {
    const twin = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    await twin.addCookies(await p.context().cookies());
    const q = await twin.newPage();
    await q.goto(p.url());
    p = q;
  }
  await p.addScriptTag({ content: axeSource });
  const result = await p.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), [], `${name} has accessibility violations`);
}

test('a town\'s home page: sections, current notices, open consultation, search box, the district above; accessible', async () => {
  const p = await page();
  const res = await p.goto(town + '/');
  assert.equal(res.status(), 200);
  assert.match(await p.title(), /蓟州区邦均镇人民政府 - 天津市蓟州区人民政府/);
  assert.equal(await p.getAttribute('meta[name=SiteIDCode]', 'content'), '1202250001');
  assert.ok(await p.locator('.platform-bar a[href="/"]:has-text("天津市蓟州区人民政府")').count());
  assert.ok(await p.locator('h2:has-text("政府信息公开")').count());
  assert.ok(await p.locator('.badge.open').count(), 'an open consultation is marked');
  await p.keyboard.press('Tab');
  assert.equal(await p.evaluate(() => document.activeElement.className), 'skip-link');
  await accessible(p, 'home');
});

test('catalogue: facets and pagination links work; an item shows its statutory metadata', async () => {
  const p = await page();
  await p.goto(town + '/disclosure/');
  await p.click('text=行政执法');
  await p.waitForURL(/\/disclosure\/category\/xzzf\/$/);  // waits for the load, not only the commit
  assert.ok((await p.locator('.list-items li').count()) >= 20);
  await accessible(p, 'catalogue');
  await p.goto(town + '/disclosure/2022/fzzf-report-2021/');
  for (const label of ['索引号', '发布机构', '主题分类', '成文日期', '发布日期', '文号', '有效性'])
    assert.ok(await p.locator(`th:has-text("${label}")`).count(), label);
  assert.ok(await p.locator('td:has-text("蓟邦政发〔2022〕1号")').count());
  await accessible(p, 'item');
});

test('权责清单: filtering by type works without JavaScript', async () => {
  const p = await page({ javaScriptEnabled: false });
  await p.goto(town + '/responsibilities/');
  await p.click('.filters a:has-text("行政强制")');
  await p.waitForURL(/\/responsibilities\/type\/qz\/$/);  // waits for the load, not only the commit
  const types = await p.locator('table.duties tbody tr td:nth-child(4)').allTextContents();
  assert.ok(types.length >= 2);
  for (const t of types) assert.equal(t, '行政强制');
  await accessible(p, 'responsibilities');
});

test('search works without and with JavaScript, with snippets and facets', async () => {
  for (const javaScriptEnabled of [false, true]) {
    const p = await page({ javaScriptEnabled });
    await p.goto(town + '/');
    await p.fill('#home-q', '行政处罚');
    await p.press('#home-q', 'Enter');
    await p.waitForURL(/\/search\?q=/);
    assert.ok((await p.locator('ol.hits li').count()) >= 5, `results (js=${javaScriptEnabled})`);
    assert.ok(await p.locator('ol.hits mark').count());
    assert.equal(await p.inputValue('#search-q'), '行政处罚');
    await p.click('aside.side a:has-text("权责清单")');
    await p.waitForURL(/section=responsibilities/);  // waits for the load, not only the commit
    await accessible(p, 'search');
  }
});

test('elderly mode (长者模式) is remembered and works without JavaScript', async () => {
  const p = await page({ javaScriptEnabled: false });
  await p.goto(town + '/notices/');
  const before = await p.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  await p.click('a.elder-on');
  await p.waitForURL(/\/notices\/$/);  // waits for the load, not only the commit
  await p.goto(town + '/disclosure/');
  const size = await p.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  assert.ok(size >= 24, `root font ${size}px is at least 18pt`);
  assert.ok(size > before);
  const lh = await p.evaluate(() => parseFloat(getComputedStyle(document.body).lineHeight) / parseFloat(getComputedStyle(document.body).fontSize));
  assert.ok(lh >= 1.3);
  await accessible(p, 'elderly mode');
  await p.click('a.elder-off');
  const after = await p.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  assert.equal(after, before);
});

test("a notice's print view fills A4 with the town, department, date and a QR code", async () => {
  const p = await page();
  await p.goto(town + '/notices/2021/xzcff/');
  await p.click('text=打印张贴版');
  await p.waitForURL(/\/print\/$/);  // waits for the load, not only the commit
  assert.ok(await p.locator('.sheet .org:has-text("天津市蓟州区邦均镇人民政府")').count());
  assert.ok(await p.locator('.sheet .sign:has-text("司法所")').count());
  assert.ok(await p.locator('.sheet .qr svg path').count());
  const pdf = await p.pdf({ format: 'A4' });
  assert.ok(pdf.length > 1000);
  await accessible(p, 'print view');
});

test('district home: every unit by kind, the latest of all units, one search box; accessible', async () => {
  const p = await page();
  const res = await p.goto(base + '/');
  assert.equal(res.status(), 200);
  assert.match(await p.title(), /天津市蓟州区人民政府/);
  for (const unit of ['区政府', '区司法局', '邦均镇', '青石镇', '柳河镇'])
    assert.ok(await p.locator(`ul.units a:has-text("${unit}")`).count(), unit);
  const units = new Set(await p.locator('#h-latest ~ ul.items .unit').allTextContents());
  assert.ok(units.size >= 3, `latest items come from several units: ${[...units]}`);
  await accessible(p, 'district home');
});

test('政府信息公开 entry: each unit\'s 公开指南, 公开制度 and 法定主动公开内容 (公开目录); accessible', async () => {
  const p = await page({ javaScriptEnabled: false });
  await p.goto(base + '/xxgk/');
  await accessible(p, '政府信息公开 entry');
  await p.click('#unit-bangjun a:has-text("法定主动公开内容")');
  await p.waitForURL(/\/towns\/bangjun\/disclosure\/$/);  // waits for the load, not only the commit
  assert.ok((await p.locator('.list-items li').count()) >= 10);
  assert.ok(await p.locator('.platform-bar:has-text("天津市蓟州区邦均镇人民政府")').count());
  await accessible(p, 'a unit\'s 公开目录');
  await p.goto(base + '/xxgk/');
  await p.click('#unit-sfj a:has-text("公开制度")');
  await p.waitForURL(/\/departments\/sfj\/pages\/system\/$/);  // waits for the load, not only the commit
});

test('年报专栏: every unit\'s reports by year, and the units missing last year\'s; accessible', async () => {
  const p = await page();
  await p.goto(base + '/nianbao/');
  const missing = await p.locator('.notice-missing li').allTextContents();
  assert.ok(missing.includes('天津市蓟州区柳河镇人民政府'), `missing: ${missing}`);
  assert.ok(!missing.includes('天津市蓟州区青石镇人民政府'));
  assert.ok(await p.locator('a:has-text("青石镇人民政府2025年政府信息公开工作年度报告")').count());
  await accessible(p, '年报专栏');
});

test('search across units from the district home, with a facet by unit; accessible', async () => {
  const p = await page({ javaScriptEnabled: false });
  await p.goto(base + '/');
  await p.fill('#home-q', '年度报告');
  await p.press('#home-q', 'Enter');
  await p.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/search\?q=/);
  const urls = await p.locator('ol.hits li a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const prefixes = new Set(urls.map((u) => u.split('/').slice(0, 3).join('/')));
  assert.ok(prefixes.size >= 3, `hits from several units: ${[...prefixes]}`);
  await accessible(p, 'cross-unit search');
  await p.click('aside.side a:has-text("青石镇")');
  const only = await p.locator('ol.hits li a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(only.length >= 1);
  for (const u of only) assert.match(u, /^\/towns\/qingshi\//);
});

// ---- what the public writes in (docs/public-writes.md) ---------------------------------------

async function applyWithoutJs() {
  const p = await page({ javaScriptEnabled: false });
  await p.goto(town + '/');
  await p.click('a:has-text("依申请公开")');
  await p.waitForURL(/\/towns\/bangjun\/apply\/$/);
  await accessible(p, 'application form');
  await p.selectOption('#f-applicant_type', '自然人');
  await p.fill('#f-name', '张三');
  await p.selectOption('#f-id_type', '居民身份证');
  await p.fill('#f-id_number', '11010519491231002X');
  await p.fill('#f-phone', '1380013800');  // one digit short: the form comes back with the message
  await p.fill('#f-description', '邦均镇2026年冬季供暖补贴的发放标准');
  await p.selectOption('#f-form', '电子文档');
  await p.selectOption('#f-delivery', '网上获取');
  await p.click('button:has-text("提交申请")');
  await p.waitForLoadState('load');
  assert.ok(await p.locator('.form-errors:has-text("联系电话格式不正确")').count());
  assert.equal(await p.inputValue('#f-description'), '邦均镇2026年冬季供暖补贴的发放标准');
  await p.fill('#f-phone', '13800138000');
  await p.click('button:has-text("提交申请")');
  await p.waitForLoadState('load');
  const number = (await p.locator('.receipt-number').textContent()).trim();
  const secret = (await p.locator('.receipt-secret').textContent()).trim();
  assert.match(number, /^YSQ-bangjun-2026-\d{5}$/);
  assert.ok(await p.locator('dd:has-text("2026-11-27")').count(), 'received the next working day');
  await accessible(p, 'application receipt');
  return { p, number, secret };
}

async function lookupStatus(p, number, secret) {
  await p.goto(town + '/apply/lookup/');
  await p.fill('#f-number', number);
  await p.fill('#f-secret', secret);
  await p.click('button:has-text("查询")');
  await p.waitForLoadState('load');
  return (await p.locator('#h-status').textContent()).trim();
}

test('依申请公开 without JavaScript: the form checks a field, keeps what was typed, gives a receipt and a lookup', async () => {
  const { p, number, secret } = await applyWithoutJs();
  assert.match(await lookupStatus(p, number, secret), /已提交，等待受理/);
  await accessible(p, 'application lookup');
});

test('留言 without JavaScript: submitted with its village, looked up as 待审核', async () => {
  const p = await page({ javaScriptEnabled: false });
  await p.goto(town + '/');
  await p.click('nav a:has-text("互动交流")');
  await p.waitForURL(/\/messages\/$/);
  await p.goto(town + '/messages/new/');
  await accessible(p, 'message form');
  await p.selectOption('#f-type', '建议');
  await p.selectOption('#f-related', '邦均村');
  await p.fill('#f-subject', '建议增设路灯');
  await p.fill('#f-body', '邦均村北街晚上没有路灯，建议增设。');
  await p.fill('#f-name', '赵六');
  await p.fill('#f-phone', '13700137000');
  await p.check('#f-consent_publish');
  await p.click('button:has-text("提交留言")');
  await p.waitForLoadState('load');
  const number = (await p.locator('.receipt-number').textContent()).trim();
  const secret = (await p.locator('.receipt-secret').textContent()).trim();
  assert.match(number, /^LY-bangjun-2026-\d{5}$/);
  await p.goto(town + '/messages/lookup/');
  await p.fill('#f-number', number);
  await p.fill('#f-secret', secret);
  await p.click('button:has-text("查询")');
  await p.waitForLoadState('load');
  assert.match(await p.locator('#h-status').textContent(), /待审核/);
});

test('staff console: a member of staff signs in, asks for 补正, then answers; the lookup page shows each state', async () => {
  const { p: pub, number, secret } = await applyWithoutJs();
  const s = await page({ javaScriptEnabled: false });
  await s.goto(staffBase + '/login');
  await s.fill('#u', 'bangjun');
  await s.fill('#p', staffPassword);
  await s.click('button:has-text("登录")');
  await s.waitForURL(staffBase + '/');
  await s.click(`a:has-text("${number}")`);
  await s.waitForURL(new RegExp(`/applications/${number}$`));
  await s.click('button:has-text("受理")');
  await s.waitForLoadState('load');
  assert.match(await lookupStatus(pub, number, secret), /已受理/);
  await s.fill('#c-note', '请写明所需标准的村名');
  await s.click('button:has-text("告知补正")');
  await s.waitForLoadState('load');
  assert.match(await lookupStatus(pub, number, secret), /需要补正/);
  assert.ok(await pub.locator('.history li:has-text("请写明所需标准的村名")').count());
  await s.click('button:has-text("已收到补正后的申请")');
  await s.waitForLoadState('load');
  assert.match(await lookupStatus(pub, number, secret), /已受理/);
  await s.selectOption('#r-type', '予以公开');
  await s.fill('#r-text', '您申请的供暖补贴标准见附件。');
  await s.click('form.action button:text-is("答复")');
  await s.waitForLoadState('load');
  assert.match(await lookupStatus(pub, number, secret), /已答复/);
  assert.ok(await pub.locator('.answer:has-text("您申请的供暖补贴标准见附件。")').count());
  await accessible(pub, 'an answered application');
});
