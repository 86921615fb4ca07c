import { Module } from '@nestjs/common';
import { StorageModule } from 'src/storage/storage.module';
import { IngestController } from 'src/ingest/ingest.controller';
import { IngestService } from 'src/ingest/ingest.service';

@Module({ imports: [StorageModule], controllers: [IngestController], providers: [IngestService] })
export class IngestModule {}
