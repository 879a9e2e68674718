import { connectors } from './connectors';

describe('connectors', () => {
  it('should work', () => {
    expect(connectors()).toEqual('connectors');
  });
});
