// The inquiry flow in Firefox, from a site opened from disk (file://), driven over WebDriver
// BiDi with puppeteer-core. Run by tests/test_firefox.py:
//   node firefox_inquiry.mjs PUPPETEER_DIR FIREFOX SITE_URL
// Prints one JSON line: what the page made (mail body, CSV text, rows left after each answer
// to the confirmation), and any error the page reported; the Python test checks it.
import { createRequire } from "node:module";
import path from "node:path";

const [puppeteerDir, firefox, site] = process.argv.slice(2);
const require = createRequire(path.join(puppeteerDir, "package.json"));
const puppeteer = require("puppeteer-core");

const browser = await puppeteer.launch({ browser: "firefox", executablePath: firefox, headless: true,
                                         defaultViewport: { width: 1280, height: 900 } });
const errors = [];
try {
  const page = await browser.newPage();
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  await page.goto(site + "en/products/index.html", { waitUntil: "load" });
  for (const slug of ["nhan-mac-ca-tam-duong", "che-xanh-shan-tuyet-ta-leng"]) {
    await page.click(`[data-product=${slug}] .card-actions button[data-inquiry]`);
  }
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(".inquiry-link")]);
  const quantity = "#inquiry-table tr[data-product=nhan-mac-ca-tam-duong] input";
  await page.type(quantity, "2 t");
  await page.keyboard.press("Tab");
  for (const [field, value] of [["name", "Aisha Rahman"], ["company", "=Gulf Foods"], ["country", "UAE"],
                                ["email", "aisha@example.ae"], ["message", "Halal certificates, please."]]) {
    await page.type(`#buyer [name=${field}]`, value);
  }
  const reference = await page.$eval("#rfq-reference", (element) => element.textContent.trim());
  const mail = await page.$eval("#inquiry-mail", (element) => element.getAttribute("href"));
  // the CSV link carries its file: a data: address, and the name to save it under
  const csv = await page.$eval("#inquiry-csv", (element) => ({ href: element.getAttribute("href"),
                                                               name: element.getAttribute("download") }));
  await page.click("#inquiry-csv");  // saved, not opened: the page stays
  await new Promise((resolve) => setTimeout(resolve, 500));
  const afterDownload = page.url();
  const rows = () => page.$$eval("#inquiry-table tbody tr", (found) => found.length);
  const answered = [];
  for (const accept of [false, true]) {
    const dialog = new Promise((resolve) => page.once("dialog", async (shown) => {
      if (accept) await shown.accept(); else await shown.dismiss();
      resolve(shown.message());
    }));
    await page.click("#inquiry-clear");
    const message = await dialog;
    await new Promise((resolve) => setTimeout(resolve, 200));
    answered.push({ accept, message, rows: await rows() });
  }
  console.log(JSON.stringify({ reference, mail, csv, answered, errors, afterDownload, url: page.url() }));
} finally {
  await browser.close();
}
