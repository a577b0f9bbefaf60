import { loadConfig } from '../config/config';

describe('Seldon settings in the config', () => {
  it('the operator-assigned HTTP port wins over PORT', () => {
    expect(loadConfig({ PORT: '8000', PREDICTIVE_UNIT_HTTP_SERVICE_PORT: '9000' }).port).toBe(9000);
    expect(loadConfig({ PORT: '8001' }).port).toBe(8001);
    expect(() => loadConfig({ PREDICTIVE_UNIT_HTTP_SERVICE_PORT: 'http' })).toThrow('PREDICTIVE_UNIT_HTTP_SERVICE_PORT');
  });

  it('reads the node name, parameters, metrics port and path', () => {
    const c = loadConfig({ PREDICTIVE_UNIT_ID: 'bandit-router', PREDICTIVE_UNIT_PARAMETERS: '[]', PREDICTIVE_UNIT_METRICS_SERVICE_PORT: '6000' });
    expect(c.seldon).toEqual({ unitId: 'bandit-router', parameters: '[]', metricsPath: '/prometheus', metricsPort: 6000 });
    expect(loadConfig({}).seldon.metricsPort).toBeUndefined();
    expect(() => loadConfig({ PREDICTIVE_UNIT_METRICS_SERVICE_PORT: '70000' })).toThrow('PREDICTIVE_UNIT_METRICS_SERVICE_PORT');
    expect(() => loadConfig({ PREDICTIVE_UNIT_METRICS_ENDPOINT: 'prometheus' })).toThrow('PREDICTIVE_UNIT_METRICS_ENDPOINT');
  });
});
