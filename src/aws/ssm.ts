/** The SSM client for `await import('../aws/ssm.js')` (see ec2.ts): a named export, so the bundle keeps only what is used. */
export {SSMClient} from '@aws-sdk/client-ssm'
