/**
 * The EC2 client and the commands ssmx sends, for `await import('../aws/ec2.js')`: EC2's client is large (its
 * schemas alone are over a megabyte), so commands that need it only sometimes load it here, on first use. A
 * dynamic import of '@aws-sdk/client-ec2' itself would bring in the whole package; these named exports let the
 * bundler keep only what is used.
 */
export {DescribeInstancesCommand, DescribeRegionsCommand, EC2Client} from '@aws-sdk/client-ec2'
