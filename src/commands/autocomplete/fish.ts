import {Command} from '@oclif/core'

import {fishCompletion} from '../../completion/fish.js'

export default class AutocompleteFish extends Command {
  static override summary = 'Print the fish completion script.'
  static override description =
    "oclif's autocomplete covers bash, zsh and PowerShell (ssmx autocomplete bash|zsh|powershell); this prints the same completions for fish. Save it where fish looks for completions."
  static override examples = ['<%= config.bin %> autocomplete fish > ~/.config/fish/completions/<%= config.bin %>.fish']

  async run(): Promise<void> {
    process.stdout.write(fishCompletion(this.config.bin, this.config.commands))
  }
}
