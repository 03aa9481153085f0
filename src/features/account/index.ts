import type { EcrHandlers } from '../../model/handlers.js';
import type { FeatureDeps } from '../deps.js';
import { notBuilt } from '../not-built.js';

export function accountHandlers(_deps: FeatureDeps): Pick<EcrHandlers, 'DescribeRegistry' | 'GetAccountSetting' | 'PutAccountSetting'> {
  return {
    DescribeRegistry: notBuilt('DescribeRegistry', 'in progress'),
    GetAccountSetting: notBuilt('GetAccountSetting', 'in progress'),
    PutAccountSetting: notBuilt('PutAccountSetting', 'in progress'),
  };
}
