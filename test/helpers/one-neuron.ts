/** One ReLU neuron between two unit weights, as an ANN and as its float SNN (θ = 1, v(0) = θ/2): the calibration passes' hand-derived tests. */
export const ONE_NEURON_ANN = `snnir 1
graph @one stage=ann {
  %x = input() : f32[N,1]
  %d = dense(%x, @w) : f32[N,1]
  %r = relu(%d) : f32[N,1]
  %o = dense(%r, @w) : f32[N,1]
  output %o
}
const @w : f32[1,1] = [1]
`;

export const oneNeuronSnn = (T: number): string => `snnir 1
graph @one stage=snn-float steps=${T} {
  %x = input() : f32[N,1]
  %d = dense(%x, @w) : f32[N,1]
  %r = if(%d) {reset="subtract", threshold=1, vinit=0.5} : f32[N,1]
  %o = dense(%r, @w) : f32[N,1]
  %ro = readout(%o) : f32[N,1]
  output %ro
}
const @w : f32[1,1] = [1]
`;
