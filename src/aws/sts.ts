/** STS for `await import('../aws/sts.js')` (see ec2.ts): only what ssmx sends, loaded on first use. */
export {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
