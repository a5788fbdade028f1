// The bundle's entry for bin/run.js: oclif, from the same copy of @oclif/core the bundled commands use.
export {execute} from '@oclif/core'
