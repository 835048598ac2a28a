// Everything activate() wires, in one module so src/extension.ts can load it when VS Code activates
// the extension rather than when it requires the bundle: in the bundle this module and all it
// imports (the views, the core, its zod schemas, the libraries) are evaluated on first require only.
export { registerStrategyCodeLenses } from './codeLenses';
export { useTranslator } from './models/localize';
export { createLog } from './output';
export { registerPoolCommands } from './poolCommands';
export { registerRegistryCommands } from './registryCommands';
export { PythonInterpreters } from './python';
export { registerReleaseCommands } from './releaseCommands';
export { registerReportPanels } from './report/panel';
export { registerCurrentStatus } from './statusBar';
export { registerStrategyCommands } from './strategyCommands';
export { registerTrees } from './trees';
export { watchArtifacts } from './watchers';
export { registerStorePassword } from './storePassword';
export { resetStores } from './workspace';
