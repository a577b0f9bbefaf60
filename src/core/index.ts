/**
 * The numeric core: pure functions over Beta posteriors. No I/O, no framework, no clock,
 * no global randomness — every sampler takes an `Rng`.
 */
export * from './types';
export * from './rng';
export { standardNormal } from './normal';
export { sampleGamma, makeGammaSampler, makeLogGammaSampler } from './gamma';
export { sampleBeta, makeBetaSampler } from './beta-sampler';
export { sampleBetaInto } from './beta-bulk';
export { BETA_PARAM_MAX, MAX_ARMS } from './limits';
export { betaPdf, betaLogPdf, betaCdf, betaSurvival, betaQuantile, betaMean, betaVariance, betaCredibleInterval } from './beta';
export { logGamma, logBeta } from './special';
export { probabilityOfBest, probabilityOfBestMonteCarlo } from './probability-of-best';
export { expectedLoss, probabilityOfBestAndExpectedLoss } from './expected-loss';
export { valueRemaining } from './value-remaining';
export * from './thompson';
export { assertProbabilities } from './floors-caps';
export * from './stopping-rule';
export * from './summary';
export * from './design';
