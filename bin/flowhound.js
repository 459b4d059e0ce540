#!/usr/bin/env node
// Entry point for `npx flowhound`. The sources are TypeScript run by Node 24's type stripping,
// so there is no build step; the project pins Node 24 itself (devDependency "node").
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(`flowhound needs Node.js >= 24 (this is ${process.version}); run it through npx or npm scripts, which use the pinned Node in node_modules/.bin\n`);
  process.exit(2);
}
await import('../src/cli/main.ts');
