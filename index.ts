/**
 * Reads the stack config, wires the components, exports the outputs. Config is parsed before any
 * resource is registered: a bad stack file changes nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { platformOf, type NormalizedService } from "./components/config";
import { loadStackConfig } from "./components/stack-config";
import { ServiceImage } from "./components/image";
import { StackSecrets } from "./components/secrets";
import {
    EcrRepository,
    ecrAuth,
    ecrRegistryId,
    foreignRepositoryProblem,
    ownRepositoryName,
} from "./components/aws/ecr";
import { AwsTarget } from "./components/aws/target";
import { ArtifactRepository, gcpRegistryAuth, isArtifactRegistry } from "./components/gcp/artifact-registry";
import { GcpTarget } from "./components/gcp/target";
import { ProjectApis, requiredApis } from "./components/gcp/apis";
import { VmTarget } from "./components/vm/target";

const config = loadStackConfig();
for (const w of config.warnings) pulumi.log.warn(w);
const stack = pulumi.getStack();

// Production pulls its promoted digest from a repository of its own (components/aws/ecr.ts says
// why): refused before anything is created when its ref names another.
const foreign = config.production
    ? config.services.flatMap((s, index) =>
          s.target === "aws" && "ref" in s.image
              ? [foreignRepositoryProblem({ ref: s.image.ref, stack, service: s.name, index })]
              : [],
      )
    : [];
if (foreign.some(Boolean)) throw new Error(foreign.filter(Boolean).join("\n"));

const secrets = new StackSecrets("secrets", { declared: config.secrets, configValues: config.secretValues });

const gcpServices = config.services.filter((s) => s.target === "gcp");
const gcpDatabase = config.database?.target === "gcp";
// The APIs first, and the repository for ref stacks too: switching a service to build then
// finds it managed already.
const gcpApis =
    gcpServices.length > 0
        ? new ProjectApis("gcp-apis", {
              project: config.gcpLocation!.project,
              apis: requiredApis({
                  database: gcpDatabase,
                  privateServiceAccess: gcpDatabase && !!config.gcp?.createPrivateServiceAccess,
                  vpc: gcpDatabase || !!config.gcp?.subnetwork,
              }),
          })
        : undefined;
const artifactRepository = gcpApis
    ? new ArtifactRepository("artifacts", {
          repositoryId: config.gcp?.artifactRepository ?? "services",
          location: config.gcpLocation!.region,
          project: config.gcpLocation!.project,
          dependsOn: gcpApis.services,
      })
    : undefined;

function pushTarget(svc: NormalizedService) {
    if (svc.target === "gcp" && artifactRepository)
        return { repositoryUrl: artifactRepository.imageUrl(svc.name), auth: artifactRepository.auth };
    const repo = new EcrRepository(`ecr-${svc.name}`, {
        repositoryName: svc.name,
        forceDelete: !config.production,
    });
    return { repositoryUrl: repo.repositoryUrl, auth: repo.auth };
}

/** Production's own repository for a service it pulls from ECR. */
function ownRepository(svc: NormalizedService): EcrRepository | undefined {
    if (!config.production || svc.target !== "aws" || !("ref" in svc.image) || !ecrRegistryId(svc.image.ref))
        return undefined;
    return new EcrRepository(`ecr-${svc.name}`, {
        repositoryName: ownRepositoryName(stack, svc.name),
        forceDelete: false,
        expireUntagged: false,
        protect: true,
    });
}

function imageFor(svc: NormalizedService): ServiceImage {
    const required = [
        { platform: platformOf(svc.architecture), consumer: `${svc.target} service "${svc.name}"` },
    ];
    if ("build" in svc.image)
        return new ServiceImage(svc.name, { image: svc.image, required, push: pushTarget(svc) });
    const registryId = ecrRegistryId(svc.image.ref);
    const vmLogin = svc.target === "vm" ? config.vm?.registry : undefined;
    const pullAuth = registryId
        ? ecrAuth(registryId)
        : isArtifactRegistry(svc.image.ref)
          ? gcpRegistryAuth(svc.image.ref)
          : vmLogin
            ? // The login the VM host pulls with, so the preview reads what the host will pull.
              pulumi.output({
                  address: svc.image.ref.split("/")[0],
                  username: vmLogin.user,
                  password: secrets.values[vmLogin.passwordSecret],
              })
            : undefined;
    const own = ownRepository(svc);
    return new ServiceImage(svc.name, {
        image: svc.image,
        required,
        pullAuth: own?.auth ?? pullAuth,
        repository: own?.repository,
        heldTo: { service: svc.name, target: svc.target, env: svc.env },
    });
}

const images = Object.fromEntries(config.services.map((s) => [s.name, imageFor(s)]));

const awsServices = config.services.filter((s) => s.target === "aws");
const awsTarget =
    awsServices.length > 0
        ? new AwsTarget("aws", { config, services: awsServices, images, secrets: secrets.values, stack })
        : undefined;

const gcpTarget = gcpApis
    ? new GcpTarget("gcp", {
          config,
          services: gcpServices,
          images,
          secrets: secrets.values,
          stack,
          apis: gcpApis,
      })
    : undefined;

const vmServices = config.services.filter((s) => s.target === "vm");
const vmTarget =
    vmServices.length > 0
        ? new VmTarget("vm", { config, services: vmServices, images, secrets: secrets.values })
        : undefined;

export const environment = config.environment;
export const services = Object.fromEntries(
    config.services.map((s) => [
        s.name,
        {
            target: s.target,
            image: images[s.name].ref,
            digest: images[s.name].digest,
            platforms: images[s.name].platforms,
            ...(awsTarget?.services[s.name] ?? {}),
            ...(gcpTarget?.services[s.name] ?? {}),
            ...(vmTarget?.services[s.name] ?? {}),
        },
    ]),
);
export const databaseEndpoint = awsTarget?.databaseEndpoint;
export const alarmTopicArn = awsTarget?.alarmTopicArn;
export const databaseConnectionName = gcpTarget?.databaseConnectionName;
