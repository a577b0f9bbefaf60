/**
 * What the dashboard's pages compute in the browser: Beta densities and axis ticks, the
 * same functions the server uses. scripts/gen-dashboard-math.ts bundles this file and what it
 * imports (src/core only: pure, no packages) into static/bandit-math.js (window.BanditMath);
 * static-scripts.spec.ts fails when the committed bundle differs.
 */
export { logBeta, logGamma } from '../core/special';
export { betaLogPdf as logPdf, betaPdf as pdf } from '../core/beta';
export { betaDensityGrid as densityGrid, betaMassRange as massRange } from '../core/beta-density';
export { niceTicks } from '../core/ticks';
