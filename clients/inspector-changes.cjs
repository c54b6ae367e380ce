// graphql-inspector diff's --onComplete handler: writes the changes, each with its `type`,
// `message`, `path` and `criticality.level`, as JSON to the file named by INSPECTOR_CHANGES,
// and leaves the verdict to .ci/breaking_changes.py (which checks them against CHANGELOG.md).
const { writeFileSync } = require("node:fs");

module.exports = function writeChanges({ breakingChanges, dangerousChanges, nonBreakingChanges }) {
  const target = process.env.INSPECTOR_CHANGES;
  if (!target) throw new Error("INSPECTOR_CHANGES names no file to write the changes to");
  const changes = [...breakingChanges, ...dangerousChanges, ...nonBreakingChanges];
  writeFileSync(target, `${JSON.stringify(changes, null, 2)}\n`);
};
