// One-off helper kept for maintainers: moves package.json's user-facing strings that are still
// plain English into package.nls.json as %key% references (existing keys are kept). Run
// `node scripts/l10n-manifest.mjs`, then add the new keys' Chinese to package.nls.zh-cn.json
// (test/unit/l10n.test.ts fails until every key has both languages).
import { readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const nls = JSON.parse(readFileSync('package.nls.json', 'utf8').toString() || '{}');
const short = (id) => id.replace(/^qraft\./, '');

function move(holder, field, key) {
  const value = holder?.[field];
  if (typeof value !== 'string' || /^%.+%$/.test(value)) return;
  nls[key] = value;
  holder[field] = `%${key}%`;
}

move(pkg, 'displayName', 'extension.displayName');
move(pkg, 'description', 'extension.description');
const c = pkg.contributes;
for (const command of c.commands ?? []) move(command, 'title', `command.${short(command.command)}.title`);
move(c.configuration, 'title', 'config.title');
for (const [id, prop] of Object.entries(c.configuration.properties)) {
  move(prop, 'description', `config.${short(id)}.description`);
  move(prop, 'markdownDescription', `config.${short(id)}.markdownDescription`);
  if (Array.isArray(prop.enumDescriptions)) prop.enumDescriptions.forEach((_, i) => move(prop.enumDescriptions, i, `config.${short(id)}.enum.${prop.enum[i]}`));
}
for (const container of c.viewsContainers?.activitybar ?? []) move(container, 'title', `viewsContainer.${short(container.id)}.title`);
for (const views of Object.values(c.views ?? {})) for (const view of views) move(view, 'name', `view.${short(view.id)}.name`);
for (const welcome of c.viewsWelcome ?? []) move(welcome, 'contents', `viewsWelcome.${short(welcome.view)}.contents`);
for (const walkthrough of c.walkthroughs ?? []) {
  move(walkthrough, 'title', `walkthrough.${short(walkthrough.id)}.title`);
  move(walkthrough, 'description', `walkthrough.${short(walkthrough.id)}.description`);
  for (const step of walkthrough.steps ?? []) {
    move(step, 'title', `walkthrough.${short(walkthrough.id)}.${step.id}.title`);
    move(step, 'description', `walkthrough.${short(walkthrough.id)}.${step.id}.description`);
  }
}
for (const [name, capability] of Object.entries(pkg.capabilities ?? {})) move(capability, 'description', `capabilities.${name}.description`);

writeFileSync('package.json', JSON.stringify(pkg, null, 2) + '\n');
writeFileSync('package.nls.json', JSON.stringify(nls, null, 2) + '\n');
console.log(`${Object.keys(nls).length} keys in package.nls.json`);
