import * as tf from '@tensorflow/tfjs-core';
import { BackboneError } from '../errors';
import { nodeFs } from './node-fs';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/**
 * A tfjs IOHandler for a directory in Node (tfjs-node's `file://` handler is not available
 * without tfjs-node): `model.json` plus one `weights.bin`, the layout `tf.io.http` reads.
 * `location` is the directory, or a `.json` file in it (`dir/model.json`; another name, say
 * `dir/a.json`, saves its weights as `dir/a.weights.bin`). Relative paths are relative to the
 * current directory. Saving writes temporary files and renames them into place, weights first,
 * so a crash never leaves a model.json that points at half-written weights.
 */
export function fileSystemHandler(location: string): tf.io.IOHandler {
  const files = async () => {
    const { fs, path } = await nodeFs();
    if (!location.toLowerCase().endsWith('.json')) return { fs, path, directory: location, jsonName: MODEL_JSON, binName: WEIGHTS_BIN };
    const jsonName = path.basename(location);
    const binName = jsonName === MODEL_JSON ? WEIGHTS_BIN : `${jsonName.slice(0, -'.json'.length)}.weights.bin`;
    return { fs, path, directory: path.dirname(location), jsonName, binName };
  };
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const { fs, path, directory, jsonName, binName } = await files();
      await fs.mkdir(directory, { recursive: true });
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${binName}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      const tag = `.tmp-${process.pid}-${Date.now().toString(36)}`;
      const writes: [string, string | Uint8Array][] = [
        [binName, new Uint8Array(weights)],
        [jsonName, JSON.stringify(modelJson)],
      ];
      for (const [name, content] of writes) {
        const target = path.join(directory, name);
        await fs.writeFile(target + tag, content);
        await fs.rename(target + tag, target);
      }
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const { fs, path, directory, jsonName } = await files();
      const jsonPath = path.join(directory, jsonName);
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (cause) {
        throw new BackboneError({
          code: 'WEIGHTS_NOT_FOUND',
          problem: `cannot read ${jsonPath} (${(cause as Error).message})`,
          fix: 'pass the directory that saveWeights() wrote (it holds model.json and weights.bin), or its model.json; relative paths start at the current directory',
          cause,
        });
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const parts = [];
        for (const group of manifest) {
          for (const file of group.paths) {
            const buffer = await fs.readFile(path.join(directory, file));
            parts.push(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(parts)];
      });
    },
  };
}
