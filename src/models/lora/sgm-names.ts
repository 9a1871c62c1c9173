/*
 * Kohya's SDXL LoRAs (and some SD 1.5 ones) name UNet layers after the original Stability (SGM/LDM) UNet:
 * input_blocks.N.M, middle_block.N, output_blocks.N.M. Exports carry diffusers' names. Both UNets have two
 * resnets per down block and three per up block, so the block numbers map by arithmetic (as diffusers' own
 * conversion does); names are in Kohya's underscore form.
 */
const LAYERS_PER_DOWN = 3;
const RESNET_RENAMES: readonly [RegExp, string][] = [
  [/^in_layers_2/, 'conv1'],
  [/^out_layers_3/, 'conv2'],
  [/^emb_layers_1/, 'time_emb_proj'],
  [/^skip_connection/, 'conv_shortcut'],
];
const FIXED: Record<string, string> = {
  input_blocks_0_0: 'conv_in',
  time_embed_0: 'time_embedding_linear_1',
  time_embed_2: 'time_embedding_linear_2',
  label_emb_0_0: 'add_embedding_linear_1',
  label_emb_0_2: 'add_embedding_linear_2',
  out_2: 'conv_out',
};

function resnet(prefix: string, rest: string): string {
  const rename = RESNET_RENAMES.find(([from]) => from.test(rest));
  return `${prefix}_${rename ? rest.replace(rename[0], rename[1]) : rest}`;
}

function inputBlock(i: number, j: number, rest: string): string {
  const [block, layer] = [Math.floor((i - 1) / LAYERS_PER_DOWN), (i - 1) % LAYERS_PER_DOWN];
  if (layer === LAYERS_PER_DOWN - 1) return `down_blocks_${block}_downsamplers_0_${rest.replace(/^op/, 'conv')}`;
  return j === 0 ? resnet(`down_blocks_${block}_resnets_${layer}`, rest) : `down_blocks_${block}_attentions_${layer}_${rest}`;
}

function outputBlock(i: number, j: number, rest: string): string {
  const [block, layer] = [Math.floor(i / LAYERS_PER_DOWN), i % LAYERS_PER_DOWN];
  if (j === 0) return resnet(`up_blocks_${block}_resnets_${layer}`, rest);
  // The upsampler is the block's last part: [1] in blocks without attention, [2] in the others.
  if (/^conv(?:_|$)/.test(rest)) return `up_blocks_${block}_upsamplers_0_${rest}`;
  return `up_blocks_${block}_attentions_${layer}_${rest}`;
}

/** A Kohya UNet module in SGM naming -> its diffusers name; undefined when it is not SGM naming. */
export function sgmToDiffusers(module: string): string | undefined {
  if (FIXED[module]) return FIXED[module];
  const input = /^input_blocks_(\d+)_(\d+)_(.+)$/.exec(module);
  if (input) return inputBlock(Number(input[1]), Number(input[2]), input[3]!);
  const middle = /^middle_block_(\d)_(.+)$/.exec(module);
  if (middle) return middle[1] === '1' ? `mid_block_attentions_0_${middle[2]}` : resnet(`mid_block_resnets_${middle[1] === '0' ? 0 : 1}`, middle[2]!);
  const output = /^output_blocks_(\d+)_(\d+)_(.+)$/.exec(module);
  return output ? outputBlock(Number(output[1]), Number(output[2]), output[3]!) : undefined;
}
