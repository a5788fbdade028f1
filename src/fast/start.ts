/** bin/run.js's first import (bundled to dist/fast/start.js): the start-ups that skip oclif. */
export {fastHelp} from './help.js'
export {launchFast} from './launch.js'
