#!/usr/bin/env node
// Run after `npm install` changes package-lock.json: npm ci refuses a lock that names
// optional platform bindings the registry does not serve (npm/cli#4828 family).
// The registry this project installs from does not carry every platform's prebuilt binding,
// so the lock lists only the optional deps that exist there.
const fs = require('fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
let dropped = 0;
for (const [path, pkg] of Object.entries(lock.packages)) {
  if (!pkg.optionalDependencies) continue;
  for (const name of Object.keys(pkg.optionalDependencies)) {
    const base = path ? path + '/node_modules/' : 'node_modules/';
    if (lock.packages[base + name] || lock.packages['node_modules/' + name]) continue;
    delete pkg.optionalDependencies[name];
    dropped++;
  }
}
fs.writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log('dropped', dropped);
