// node docs/screenshot.mjs PAGE.html OUT.png: a full-page screenshot in Debian's chromium (puppeteer-core).
import { resolve } from 'node:path';
import puppeteer from 'puppeteer-core';

const [page, out] = process.argv.slice(2);
const browser = await puppeteer.launch({ executablePath: process.env.SNNC_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const tab = await browser.newPage();
await tab.setViewport({ width: 1200, height: 900 });
await tab.goto(`file://${resolve(page)}`, { waitUntil: 'load' });
await tab.screenshot({ path: out, fullPage: true });
await browser.close();
