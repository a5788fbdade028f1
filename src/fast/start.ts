/** bin/run.js's first import (bundled to dist/fast/start.js): the start-ups that skip oclif, and the compile cache for oclif's. */
export {enableNodeCompileCache} from '../platform/cache-dir.js'
export {fastHelp} from './help.js'
export {launchFast} from './launch.js'
