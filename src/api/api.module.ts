import { Module } from '@nestjs/common';
import { StorageModule } from 'src/storage/storage.module';
import { ApiController } from 'src/api/api.controller';
import { ApiService } from 'src/api/api.service';
import { HealthController } from 'src/api/health.controller';
import { ScrapeModule } from 'src/scrape/scrape.module';
import { StatusPageController } from 'src/api/status-page.controller';
import { StatusPageService } from 'src/api/status-page.service';

@Module({
  imports: [StorageModule, ScrapeModule],
  controllers: [ApiController, HealthController, StatusPageController],
  providers: [ApiService, StatusPageService],
})
export class ApiModule {}
