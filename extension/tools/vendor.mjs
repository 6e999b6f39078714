// Copies the public-suffix library the extension uses (npm `tldts`, MIT) from node_modules into
// extension/vendor/, so the unpacked extension loads without a build. Run after bumping tldts:
//   npm install && npm run vendor:extension
// `--check` only compares: tests/test_extension.py runs it so the committed copy can't drift.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "node_modules", "tldts", "package.json"), "utf8"));
const source = readFileSync(join(root, "node_modules", "tldts", "dist", "index.umd.min.js"), "utf8");
const body = source.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n");
const header = `/*! tldts ${pkg.version} | MIT License | Copyright (c) 2017 Thomas Parisot, 2018 Rémi Berson | ` +
  `https://github.com/remusao/tldts — vendored by extension/tools/vendor.mjs, do not edit */\n`;
const outputs = {
  [join(here, "..", "vendor", "tldts.min.js")]: header + body,
  [join(here, "..", "vendor", "tldts.LICENSE")]: readFileSync(join(root, "node_modules", "tldts", "LICENSE"), "utf8"),
};
if (process.argv.includes("--check")) {
  const stale = Object.entries(outputs).filter(([path, text]) => !existsSync(path) || readFileSync(path, "utf8") !== text);
  for (const [path] of stale) console.error(`out of date: ${path} (run: npm run vendor:extension)`);
  if (stale.length) process.exit(1);
  console.log(`vendored tldts ${pkg.version} is up to date`);
} else {
  for (const [path, text] of Object.entries(outputs)) writeFileSync(path, text);
  console.log(`vendored tldts ${pkg.version}`);
}
