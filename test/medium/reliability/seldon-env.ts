/** Environment that makes the service a Seldon router of one experiment (created with these arms when missing). */
export function seldonRouterEnv(experimentId: string, arms: string): Record<string, string> {
  return {
    PREDICTIVE_UNIT_ID: 'router',
    PREDICTIVE_UNIT_PARAMETERS: JSON.stringify([
      { name: 'experiment_id', value: experimentId, type: 'STRING' },
      { name: 'arms', value: arms, type: 'STRING' },
    ]),
  };
}
