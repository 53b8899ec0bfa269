import * as tf from '@tensorflow/tfjs-core';
import { BackboneError } from '../errors';
import { nodeFs } from './node-fs';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/**
 * A tfjs IOHandler for a directory in Node (tfjs-node's `file://` handler is not available
 * without tfjs-node): `model.json` plus one `weights.bin`, the layout `tf.io.http` reads.
 * Saving writes temporary files and renames them into place, weights first, so a crash never
 * leaves a model.json that points at half-written weights.
 */
export function fileSystemHandler(directory: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const { fs, path } = await nodeFs();
      await fs.mkdir(directory, { recursive: true });
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      const tag = `.tmp-${process.pid}-${Date.now().toString(36)}`;
      const writes: [string, string | Uint8Array][] = [
        [WEIGHTS_BIN, new Uint8Array(weights)],
        [MODEL_JSON, JSON.stringify(modelJson)],
      ];
      for (const [name, content] of writes) {
        const target = path.join(directory, name);
        await fs.writeFile(target + tag, content);
        await fs.rename(target + tag, target);
      }
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const { fs, path } = await nodeFs();
      const jsonPath = path.join(directory, MODEL_JSON);
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (cause) {
        throw new BackboneError({
          code: 'WEIGHTS_NOT_FOUND',
          problem: `cannot read ${jsonPath} (${(cause as Error).message})`,
          fix: 'pass the directory that saveWeights() wrote (it holds model.json and weights.bin)',
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
