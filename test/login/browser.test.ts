import {expect} from 'chai'

import {browserCommand, openBrowser} from '../../src/login/browser.js'

describe('browserCommand / openBrowser', () => {
  const url = 'https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH'

  it('$BROWSER first, then open / start / xdg-open, and nothing on a Linux without a display', () => {
    expect(browserCommand(url, {BROWSER: 'firefox'}, 'linux')).to.deep.equal(['firefox', [url]])
    expect(browserCommand(url, {}, 'darwin')).to.deep.equal(['open', [url]])
    expect(browserCommand('https://x/?a=1&b=2', {}, 'win32')).to.deep.equal(['cmd', ['/c', 'start', '""', 'https://x/?a=1^&b=2']])
    expect(browserCommand(url, {DISPLAY: ':0'}, 'linux')).to.deep.equal(['xdg-open', [url]])
    expect(browserCommand(url, {}, 'linux')).to.equal(undefined)
  })

  it('never fails: a browser that cannot be started resolves false', async () => {
    expect(await openBrowser(url, {env: {BROWSER: '/nonexistent/browser'}, platform: 'linux'})).to.equal(false)
    expect(await openBrowser(url, {env: {}, platform: 'linux'})).to.equal(false)
  })
})
